// Escaping untrusted text for Slack mrkdwn: entities, visible backticks and invisible characters.
/**
 * Code points that hide, reorder or fake text: C0 and C1 controls, soft hyphen, bidi marks,
 * embeddings, overrides and isolates, zero-width and other invisible characters, line and
 * paragraph separators, and Unicode tag characters (invisible ASCII look-alikes).
 */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/u;

/** Slack's three control characters, which start links, mentions and `<!channel>` broadcasts. */
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

export interface EscapeOptions {
  /** Keep line feeds as line breaks instead of showing them as `\n`. Default false. */
  multiline?: boolean | undefined;
}

function escapeCodePoint(char: string, multiline: boolean): string {
  const entity = ENTITIES[char];
  if (entity !== undefined) return entity;
  // A backtick would close the code span or block the text is shown in.
  if (char === '`') return '\\u0060';
  if (char === '\n') return multiline ? '\n' : '\\n';
  if (!INVISIBLE.test(char)) return char;
  const code = char.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Makes untrusted text inert for a Slack mrkdwn code span or code block: `&`, `<` and `>` become
 * entities (so `<!channel>`, `<@U…>` and `<https://x|Approve>` render as text), a backtick becomes
 * the visible escape `\u0060` (so the text cannot close its code span), and invisible or
 * reordering characters become visible escapes such as `\u202e`. Wrap the result in a code span
 * or block: outside one, `*`, `_` and `~` still format.
 */
export function escapeMrkdwn(text: string, options: EscapeOptions = {}): string {
  return escapeWithin(text, Number.POSITIVE_INFINITY, options).text;
}

export interface Escaped {
  text: string;
  /** Code points of the input left out to stay within the budget. */
  omitted: number;
}

/**
 * Escapes like {@link escapeMrkdwn} and stops before the escaped text would exceed `budget`
 * characters, never splitting an escape or a surrogate pair.
 */
export function escapeWithin(text: string, budget: number, options: EscapeOptions = {}): Escaped {
  const multiline = options.multiline ?? false;
  const chars = Array.from(text);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const piece = escapeCodePoint(chars[i]!, multiline);
    if (out.length + piece.length > budget) return { text: out, omitted: chars.length - i };
    out += piece;
  }
  return { text: out, omitted: 0 };
}

/** An untrusted value as an inline code span, cut visibly at `max` characters. */
export function code(text: string, max = 300): string {
  if (text.length === 0) return '_(empty)_';
  const { text: escaped, omitted } = escapeWithin(text, max);
  return omitted === 0 ? `\`${escaped}\`` : `\`${escaped}\`… _(${omitted} more characters)_`;
}

/** Untrusted, possibly multi-line text as a code block, cut visibly at `max` characters. */
export function codeBlock(text: string, max: number): { text: string; omitted: number } {
  const escaped = escapeWithin(text.length === 0 ? ' ' : text, max, { multiline: true });
  return { text: `\`\`\`\n${escaped.text}\n\`\`\``, omitted: escaped.omitted };
}
