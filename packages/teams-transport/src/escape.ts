// Makes untrusted text inert for an Adaptive Card TextRun: visible escapes, visible cuts.

/**
 * Code points that hide, reorder or fake text: C0 and C1 controls (line feed aside), soft hyphen,
 * bidi marks, embeddings, overrides and isolates, zero-width and other invisible characters, line
 * and paragraph separators, and Unicode tag characters.
 */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/u;

export interface Inert {
  text: string;
  /** Code points left out to stay within the budget. */
  omitted: number;
}

/**
 * Escapes text for a TextRun, which Adaptive Cards never parse as markdown. Invisible and
 * reordering characters become visible escapes such as `\u202e`; a line feed stays a line break
 * only when `multiline`, otherwise it shows as `\n`. Stops before `budget` characters, never
 * inside an escape or a surrogate pair.
 */
export function inert(text: string, budget: number, multiline = false): Inert {
  const chars = Array.from(text);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    let piece = char;
    if (char === '\n') piece = multiline ? '\n' : '\\n';
    else if (INVISIBLE.test(char)) {
      const code = char.codePointAt(0)!;
      piece = code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }
    if (out.length + piece.length > budget) return { text: out, omitted: chars.length - i };
    out += piece;
  }
  return { text: out, omitted: 0 };
}

/** {@link inert}, with a visible note when the text was cut. */
export function inertText(text: string, budget: number, multiline = false): string {
  if (text.length === 0) return '(empty)';
  const { text: shown, omitted } = inert(text, budget, multiline);
  return omitted === 0 ? shown : `${shown}… (${omitted} more characters)`;
}
