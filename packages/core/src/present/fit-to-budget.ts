// The one rule for cutting what approvers read to a channel's budget, and the statement of what was cut.
import type { JsonObject, JsonValue } from '../lib/canonical-json.js';

/** How long one code point is once a channel has escaped it (`<` is 4 as Slack's `&lt;`). */
export type Measure = (char: string) => number;

/** Length in UTF-16 units: the default, for channels that do not escape. */
export const utf16Length: Measure = (char) => char.length;

export interface FittedText {
  /** The longest start of the text that fits, cut between code points. */
  text: string;
  /** Code points left out. */
  omitted: number;
}

/** The start of `text` whose measured length is at most `budget`. */
export function fitText(text: string, budget: number, measure: Measure = utf16Length): FittedText {
  let used = 0;
  let end = 0;
  let count = 0;
  for (const char of text) {
    used += measure(char);
    if (used > budget) return { text: text.slice(0, end), omitted: countCodePoints(text) - count };
    end += char.length;
    count += 1;
  }
  return { text, omitted: 0 };
}

function countCodePoints(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function measured(text: string, measure: Measure): number {
  let n = 0;
  for (const char of text) n += measure(char);
  return n;
}

/** A param or field shown in part: its characters shown and in all (code points). */
export interface PartCut {
  name: string;
  shown: number;
  total: number;
}

/** What a params text left out, by top-level param. */
export interface ParamsCut {
  /** Params shown in part, in canonical order. */
  shortened: readonly PartCut[];
  /** Params not shown at all, in canonical order. */
  omitted: readonly string[];
}

export interface FittedParams extends ParamsCut {
  /** Indented JSON, members in canonical (hashed) order; a shortened param ends with `…`. */
  text: string;
}

/** Below this share of the budget a param is left out rather than shown as a stub. */
const MIN_SHARE = 120;
const ELLIPSIS = '…';

/** Canonical JSON with two-space indents: members sorted by UTF-16 code units at every depth, as hashed. */
export function indentedJson(value: JsonValue, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + indentedJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(value).sort();
  if (keys.length === 0) return '{}';
  const members = keys.map((key) => `${inner}${JSON.stringify(key)}: ${indentedJson(value[key]!, inner)}`);
  return `{\n${members.join(',\n')}\n${indent}}`;
}

/**
 * Params as approvers read them, within `budget`: whole if they fit; otherwise every param that fits
 * its fair share is shown whole, longer ones are shortened to an equal share (about 120
 * units at least), and when even that does not fit, the last params in canonical order are left out.
 * A long param thus never hides the params after it, and the result names every param it cut.
 */
export function fitParams(params: JsonObject, budget: number, measure: Measure = utf16Length): FittedParams {
  const text = indentedJson(params);
  if (measured(text, measure) <= budget) return { text, shortened: [], omitted: [] };
  const members = Object.keys(params)
    .sort()
    .map((name) => {
      const prefix = `  ${JSON.stringify(name)}: `;
      const value = indentedJson(params[name]!, '  ');
      return { name, prefix, value, size: measured(prefix + value, measure) };
    });
  const newline = measure('\n');
  const frame = measure('{') + measure('}') + 2 * newline;
  const separator = measure(',') + newline;
  const ellipsis = measure(ELLIPSIS);
  // Keep the longest run of params, in order, whose minimum shares fit.
  let kept = 0;
  let need = frame - separator;
  for (const member of members) {
    need += separator + Math.min(member.size, MIN_SHARE + ellipsis);
    if (need > budget && kept > 0) break;
    kept += 1;
  }
  const shown = members.slice(0, kept);
  // Water-filling: short params whole, the rest an equal share of what is left.
  let left = budget - frame - separator * (kept - 1);
  let waiting = kept;
  const allowance = new Map<string, number>();
  for (const member of [...shown].sort((a, b) => a.size - b.size)) {
    const share = Math.floor(left / waiting);
    const size = Math.min(member.size, share);
    allowance.set(member.name, size);
    left -= size;
    waiting -= 1;
  }
  const shortened: PartCut[] = [];
  const lines = shown.map((member) => {
    const room = allowance.get(member.name)!;
    if (room >= member.size) return member.prefix + member.value;
    const cut = fitText(member.prefix + member.value, Math.max(0, room - ellipsis), measure);
    const total = countCodePoints(member.value);
    shortened.push({ name: member.name, shown: Math.max(0, total - cut.omitted), total });
    return cut.text + ELLIPSIS;
  });
  return {
    text: lines.length === 0 ? '{}' : `{\n${lines.join(',\n')}\n}`,
    shortened,
    omitted: members.slice(kept).map((member) => member.name),
  };
}

/** Everything one message left out, and the page that shows it all. */
export interface CutReport {
  params: ParamsCut;
  /** Other fields shown in part, such as `{ name: 'reason', … }`. */
  fields?: readonly PartCut[] | undefined;
  /** The page that shows the whole request (the inbox's request page), or null. */
  moreAt?: string | null | undefined;
}

/** How a channel writes what {@link describeCut} quotes: untrusted names, and the link. */
export interface CutWording {
  /** An untrusted param name, escaped (and cut) for the channel. */
  name(name: string): string;
  /** Trusted text, escaped for the channel. Default: as is. */
  text?: ((text: string) => string) | undefined;
  /** A link to the page that shows everything. Default: the URL after the sentence. */
  link?: ((url: string) => string) | undefined;
}

/** Names listed per kind of cut before the rest are counted. */
const LISTED = 8;

function list<T>(items: readonly T[], what: (item: T) => string): string {
  const listed = items.slice(0, LISTED).map(what);
  const more = items.length - listed.length;
  return more === 0 ? listed.join(', ') : `${listed.join(', ')} and ${more} more`;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * One plain statement of what a message cut and where to see the rest, or null when it cut nothing:
 * `Truncated to fit: param sql (1,200 of 3,042 characters shown); params x, y not shown. The params
 * hash covers every param. Everything is on the request's page in the countersign inbox: <link>`.
 */
export function describeCut(report: CutReport, wording: CutWording): string | null {
  const { shortened, omitted } = report.params;
  const fields = report.fields ?? [];
  if (shortened.length === 0 && omitted.length === 0 && fields.length === 0) return null;
  const text = wording.text ?? ((t: string) => t);
  const part = (cut: PartCut) =>
    `${wording.name(cut.name)}${text(` (${count(cut.shown)} of ${count(cut.total)} characters shown)`)}`;
  const parts: string[] = [];
  if (shortened.length > 0) {
    parts.push(text(shortened.length === 1 ? 'param ' : 'params ') + list(shortened, part));
  }
  if (omitted.length > 0) {
    const names = list(omitted, (name) => wording.name(name));
    parts.push(text(omitted.length === 1 ? 'param ' : 'params ') + names + text(' not shown'));
  }
  for (const field of fields) {
    parts.push(text(`the ${field.name} (${count(field.shown)} of ${count(field.total)} characters shown)`));
  }
  const where = "Everything is on the request's page in the countersign inbox";
  const link =
    report.moreAt === null || report.moreAt === undefined
      ? text(`${where}.`)
      : `${text(`${where}: `)}${(wording.link ?? text)(report.moreAt)}`;
  return `${text('Truncated to fit: ')}${parts.join(text('; '))}${text('. The params hash covers every param. ')}${link}`;
}
