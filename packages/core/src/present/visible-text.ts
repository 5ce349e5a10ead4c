// The one definition of the characters no channel shows raw, and the visible marker each becomes.

/**
 * Characters that hide, reorder or fake text: every Unicode `Default_Ignorable_Code_Point` (soft
 * hyphen, zero-width characters and joiners, fillers, variation selectors, U+FEFF, and the tag
 * characters U+E0000–E007F that can smuggle invisible ASCII), every `Bidi_Control` (marks,
 * embeddings, overrides, isolates), C0 and C1 controls, the line and paragraph separators, the
 * interlinear annotation characters and lone surrogates.
 */
const HIDDEN = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}\p{Cc}\p{Cs}\u2028\u2029\uFFF9-\uFFFB]/u;
const ALL_HIDDEN = new RegExp(HIDDEN.source, 'gu');

/** Whether `char` (one code point) is shown as a marker instead of itself. */
export function isHiddenCharacter(char: string): boolean {
  return HIDDEN.test(char);
}

/** The marker shown in place of a hidden character: `⟨U+202E⟩`, `⟨U+E0041⟩`. */
export function characterMarker(char: string): string {
  const hex = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `⟨U+${hex}⟩`;
}

export interface ShowHiddenOptions {
  /** Keep line feeds as line breaks instead of marking them. Default false. */
  lineBreaks?: boolean | undefined;
  /** Wraps each marker, e.g. in an HTML element that styles it. Default: the marker alone. */
  mark?: ((marker: string) => string) | undefined;
}

/** `text` with every hidden character replaced by its marker, so nothing in it is invisible. */
export function showHidden(text: string, options: ShowHiddenOptions = {}): string {
  const mark = options.mark ?? ((marker: string) => marker);
  const lineBreaks = options.lineBreaks ?? false;
  return text.replace(ALL_HIDDEN, (char) =>
    char === '\n' && lineBreaks ? char : mark(characterMarker(char)),
  );
}

/** How many UTF-16 units `char` (one code point) takes once hidden characters are marked. */
export function visibleLength(char: string, lineBreaks = false): number {
  if (char === '\n' && lineBreaks) return 1;
  return isHiddenCharacter(char) ? characterMarker(char).length : char.length;
}
