// The call `countersign explain` explains, read from its flags strictly: what cs.explain() takes, and the instant.
import { type ExplainSubject, repeatedMember } from '@countersign/core';
import { type ParsedArgs, single } from '../args.js';
import { usageError } from '../exit-codes.js';

/** ISO 8601 with a date, a time and a zone, e.g. `2026-01-02T09:30:00Z`: nothing left to guess. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export interface ExplainCall {
  subject: ExplainSubject;
  /** What `now` is for conditions, in epoch milliseconds; null: the system clock. */
  at: number | null;
}

export function readCall(args: ParsedArgs, action: string, actor: string): ExplainCall {
  const subject: ExplainSubject = { action, actor, resource: single(args, 'resource') ?? null };
  const params = readParams(single(args, 'params'), args.flags.get('param') ?? []);
  if (params !== undefined) subject.params = params;
  const onBehalfOf = single(args, 'on-behalf-of');
  if (onBehalfOf !== undefined) subject.onBehalfOf = onBehalfOf;
  const risk = single(args, 'risk');
  // Checked by cs.explain(), like every other member: an unknown level is its invalid_input.
  if (risk !== undefined) subject.risk = risk as ExplainSubject['risk'];
  const session = single(args, 'session');
  if (session !== undefined) subject.sessionId = session;
  return { subject, at: readInstant(single(args, 'at')) };
}

/**
 * `--params` (one JSON object) and `--param` (`key=text` for a string, `key:=json` for any JSON
 * value), merged; a key given twice, anywhere, is an error rather than a silent override.
 */
function readParams(json: string | undefined, pairs: readonly string[]): Record<string, unknown> | undefined {
  if (json === undefined && pairs.length === 0) return undefined;
  const params = json === undefined ? {} : parseObject(json);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1 || (eq === 1 && pair[0] === ':')) {
      throw usageError(`--param takes key=text or key:=json, not "${pair}"`);
    }
    const raw = pair.endsWith(':', eq) ? pair.slice(0, eq - 1) : pair.slice(0, eq);
    const value = pair.endsWith(':', eq)
      ? parseJson(pair.slice(eq + 1), `--param ${raw}`)
      : pair.slice(eq + 1);
    if (Object.hasOwn(params, raw)) throw usageError(`param "${raw}" is given twice`);
    params[raw] = value;
  }
  return params;
}

function parseObject(json: string): Record<string, unknown> {
  const value = parseJson(json, '--params');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw usageError(`--params must be a JSON object, not ${kind}`);
  }
  return value as Record<string, unknown>;
}

function parseJson(text: string, flag: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`${flag} is not JSON: ${(error as Error).message}`);
  }
  // JSON.parse keeps the last of two equal names silently: a typo would change the answer unseen.
  const repeated = repeatedMember(text);
  if (repeated !== null) throw usageError(`${flag} has member "${repeated}" more than once`);
  return value;
}

function readInstant(text: string | undefined): number | null {
  if (text === undefined) return null;
  const at = Date.parse(text);
  if (!INSTANT.test(text) || Number.isNaN(at)) {
    throw usageError(`--at must be an ISO 8601 time with a zone, e.g. 2026-01-02T09:30:00Z, not "${text}"`);
  }
  return at;
}
