// Makes untrusted text inert for an Adaptive Card TextRun: core's hidden-character markers, visible cuts.
import { fitText, type Measure, showHidden, visibleLength } from '@countersign/core';

export interface Inert {
  text: string;
  /** Code points left out to stay within the budget. */
  omitted: number;
}

/** How long each character is once {@link inert} has marked it: core's cut rule counts in these. */
export function inertLength(multiline: boolean): Measure {
  return (char) => visibleLength(char, multiline);
}

/**
 * Text for a TextRun, which Adaptive Cards never parse as markdown. Every hidden character (core's
 * `showHidden`: bidi controls, zero-width, tag characters…) becomes a marker such as `⟨U+202E⟩`; a
 * line feed stays a line break only when `multiline`. Stops before `budget` characters, never
 * inside a marker or a surrogate pair.
 */
export function inert(text: string, budget: number, multiline = false): Inert {
  const fitted = fitText(text, budget, inertLength(multiline));
  return { text: showHidden(fitted.text, { lineBreaks: multiline }), omitted: fitted.omitted };
}

/** {@link inert}, with a visible note when the text was cut. */
export function inertText(text: string, budget: number, multiline = false): string {
  if (text.length === 0) return '(empty)';
  const { text: shown, omitted } = inert(text, budget, multiline);
  return omitted === 0 ? shown : `${shown}… (${omitted.toLocaleString('en-US')} more characters)`;
}
