// Making request-derived text safe to print on a terminal line.
/**
 * Code points a terminal acts on or that hide or reorder text: C0 and C1 controls (ESC starts
 * every ANSI sequence, U+009B is a one-byte CSI), line and paragraph separators, bidi marks,
 * embeddings, overrides and isolates, zero-width and other invisible characters, and Unicode tag
 * characters (invisible ASCII look-alikes).
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Makes request-derived text safe to print on one terminal line: every unsafe code point becomes
 * a visible escape such as `\u001b` or `\u202e`, so an ANSI sequence is shown instead of run and
 * nothing an approver reads is hidden or reordered.
 */
export function sanitize(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const named = NAMED[char];
    if (named !== undefined) return named;
    const code = char.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
