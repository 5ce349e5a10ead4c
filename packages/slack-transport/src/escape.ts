// Escaping untrusted text for Slack mrkdwn: entities, and visible markers for backticks and hidden characters.
import { characterMarker, fitText, type Measure, showHidden, visibleLength } from '@countersign/core';

/** Slack's three control characters, which start links, mentions and `<!channel>` broadcasts. */
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const SLACK_SPECIAL = /[&<>`]/g;

export interface EscapeOptions {
  /** Keep line feeds as line breaks instead of showing them as `⟨U+000A⟩`. Default false. */
  multiline?: boolean | undefined;
}

/**
 * Makes untrusted text inert for a Slack mrkdwn code span or code block: `&`, `<` and `>` become
 * entities (so `<!channel>`, `<@U…>` and `<https://x|Approve>` render as text), a backtick becomes
 * the marker `⟨U+0060⟩` (so the text cannot close its code span), and every hidden character
 * (core's `showHidden`: bidi controls, zero-width, tag characters…) becomes a marker such as
 * `⟨U+202E⟩`. Wrap the result in a code span or block: outside one, `*`, `_` and `~` still format.
 */
export function escapeMrkdwn(text: string, options: EscapeOptions = {}): string {
  return showHidden(text, { lineBreaks: options.multiline ?? false }).replace(
    SLACK_SPECIAL,
    (char) => ENTITIES[char] ?? characterMarker(char),
  );
}

/** How long each character is once {@link escapeMrkdwn} has escaped it: core's cut rule counts in these. */
export function mrkdwnLength(multiline: boolean): Measure {
  return (char) => {
    const entity = ENTITIES[char];
    if (entity !== undefined) return entity.length;
    return char === '`' ? characterMarker(char).length : visibleLength(char, multiline);
  };
}

export interface Escaped {
  text: string;
  /** Code points of the input left out to stay within the budget. */
  omitted: number;
}

/**
 * Escapes like {@link escapeMrkdwn} and stops before the escaped text would exceed `budget`
 * characters, never splitting an escape or a surrogate pair (core's `fitText`).
 */
export function escapeWithin(text: string, budget: number, options: EscapeOptions = {}): Escaped {
  const fitted = fitText(text, budget, mrkdwnLength(options.multiline ?? false));
  return { text: escapeMrkdwn(fitted.text, options), omitted: fitted.omitted };
}

/** The note after a value cut to fit. */
export function moreCharacters(omitted: number): string {
  return `_(${omitted.toLocaleString('en-US')} more characters)_`;
}

/** An untrusted value as an inline code span, cut visibly at `max` characters. */
export function code(text: string, max = 300): string {
  if (text.length === 0) return '_(empty)_';
  const { text: escaped, omitted } = escapeWithin(text, max);
  return omitted === 0 ? `\`${escaped}\`` : `\`${escaped}\`… ${moreCharacters(omitted)}`;
}

/** Untrusted, possibly multi-line text as a code block, cut at `max` characters with a visible note. */
export function codeBlock(text: string, max: number): { text: string; omitted: number } {
  const escaped = escapeWithin(text.length === 0 ? ' ' : text, max, { multiline: true });
  const note = escaped.omitted === 0 ? '' : `\n… ${moreCharacters(escaped.omitted)}`;
  return { text: `\`\`\`\n${escaped.text}\n\`\`\`${note}`, omitted: escaped.omitted };
}
