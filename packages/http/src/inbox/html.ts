// HTML escaping for the inbox: every value from a request is text, and invisible tricks are shown.
import { showHidden } from '@countersign/core';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** A hidden character's marker, styled so it cannot pass for text the request holds. */
const mark = (marker: string) => `<span class="cp" title="hidden character">${marker}</span>`;

/**
 * Escapes `text` for element content or a quoted attribute, and shows every hidden character
 * (core's `showHidden`: bidi controls, zero-width, tag characters…) as a marker such as `⟨U+202E⟩`.
 * Line feeds stay: `<pre>` shows them, elsewhere they are white space.
 */
export function html(text: string | number | null | undefined): string {
  if (text === null || text === undefined) return '';
  return showHidden(
    String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] as string),
    {
      lineBreaks: true,
      mark,
    },
  );
}

/** Marks a string as already-escaped markup, built only from `html()` output and literals. */
export class Markup {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A template tag: interpolated values are escaped unless they are `Markup` (or arrays of it). */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new Markup(out);
}

function render(value: unknown): string {
  if (value instanceof Markup) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === false || value === null || value === undefined) return '';
  return html(String(value));
}
