// HTML escaping for the inbox: every value from a request is text, and invisible tricks are shown.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Bidirectional overrides and isolates, and other controls, that could make text read differently. */
const HIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: showing control characters is the point.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;

/** Escapes `text` for element content or a quoted attribute, and makes hidden characters visible. */
export function html(text: string | number | null | undefined): string {
  if (text === null || text === undefined) return '';
  return String(text)
    .replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
    .replace(
      HIDDEN,
      (c) =>
        `<span class="cp" title="hidden character">U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}</span>`,
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
