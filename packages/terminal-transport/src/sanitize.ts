// Making request-derived text safe to print on a terminal line.
import { showHidden } from '@countersign/core';

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Makes request-derived text safe to print on one terminal line: line feed, carriage return and
 * tab become `\n`, `\r` and `\t`, and every other character a terminal acts on or that hides or
 * reorders text (core's `showHidden`: C0 and C1 controls, so ESC and the one-byte CSI U+009B, bidi
 * controls, zero-width and tag characters…) becomes a marker such as `⟨U+001B⟩` or `⟨U+202E⟩`. An
 * ANSI sequence is shown instead of run, and nothing an approver reads is hidden or reordered.
 */
export function sanitize(text: string): string {
  return showHidden(text.replace(/[\n\r\t]/g, (char) => NAMED[char] as string));
}
