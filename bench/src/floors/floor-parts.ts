/**
 * What the floors (#26) share: the least work a guard with core's guarantees does, written from
 * scratch. One walk checks params (plain JSON, depth and count bounded), writes their RFC 8785
 * JSON and flags what redaction must look at; context strings are checked printable and bounded;
 * grants are single use with only the token's hash kept; entries are chained as the RFC 8785 JSON
 * of format version 2, byte for byte what core exports (the bench checks with `verifyAuditLog`).
 */
import { hash, randomFillSync } from 'node:crypto';
import { createRedactor, type GuardContext, type JsonObject, scrubText } from '@countersign/core';

const MAX_DEPTH = 64;
const MAX_VALUES = 100_000;
const MAX_PARAMS_JSON = 64 * 1024;
const MAX_TEXT = 1024;
const KEY_HINT = /pass|pwd|secret|token|key|auth|cookie|credential|connection/i;
// Printable, and no control or lone surrogate: what core accepts in a context string.
const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;
const GENESIS = '0'.repeat(64);
const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export interface FloorRule {
  id: string;
  /** An exact action name, or a prefix ending in `*`. */
  action: string;
  effect: 'allow' | 'deny' | 'require_approval';
  /** Who may approve, for `require_approval`. */
  approvers?: readonly string[];
  quorum?: number;
}

export interface FloorPresented {
  name: string;
  resource: string;
  params: unknown;
  sessionId: string;
}

export interface FloorGrantHandle {
  token: string;
  consume: (presented: FloorPresented) => void;
}

export interface FloorAction {
  name: string;
  resource: string;
  params: unknown;
  run: (grant: FloorGrantHandle) => Promise<unknown>;
}

interface Walk {
  values: number;
  flagged: boolean;
}

/** Params as RFC 8785 JSON, checked in the same walk; throws on anything that is not plain JSON. */
export function paramsJson(value: unknown, depth: number, walk: Walk): string {
  if (++walk.values > MAX_VALUES) throw new TypeError('params: too many values');
  if (typeof value === 'string') {
    if (!walk.flagged && scrubText(value) !== value) walk.flagged = true;
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('params: numbers must be finite');
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean' || value === null) return String(value);
  if (typeof value !== 'object' || depth >= MAX_DEPTH) throw new TypeError('params: not plain JSON');
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++)
      out += (i === 0 ? '' : ',') + paramsJson(value[i], depth + 1, walk);
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new TypeError('params: not a plain object');
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!walk.flagged && (KEY_HINT.test(key) || scrubText(key) !== key)) walk.flagged = true;
    out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${paramsJson((value as Record<string, unknown>)[key], depth + 1, walk)}`;
  }
  return `${out}}`;
}

export function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT || !PRINTABLE.test(value)) {
    throw new TypeError(`${what}: a printable string of 1 to ${MAX_TEXT} characters`);
  }
  return value;
}

export const sha256 = (input: string): string => hash('sha256', input, 'hex');
const identity = (name: string, paramsText: string, resource: string) =>
  `{"name":${JSON.stringify(name)},"params":${paramsText},"resource":${JSON.stringify(resource)}}`;

// Random bytes drawn from a pool refilled 4 KiB at a time, as nanoid does: one syscall per 100 calls.
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;
function random(length: number): Buffer {
  if (poolAt + length > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  poolAt += length;
  return POOL.subarray(poolAt - length, poolAt);
}

export function newId(prefix: string): string {
  const bytes = random(20);
  let id = prefix;
  for (let i = 0; i < 20; i++) id += ID_ALPHABET[bytes[i]! % 36];
  return id;
}

/** A call checked, fingerprinted and redacted, with the JSON its entries carry. */
export interface FloorCall {
  name: string;
  resource: string;
  sessionId: string;
  fingerprint: string;
  /** The params an entry shows (redacted), as RFC 8785 JSON, their hash and the redacted paths. */
  shownJson: string;
  paramsHash: string;
  redactedPaths: string;
  /** The caller's own strings, checked (not copied): quoted when an entry is written. */
  actor: string;
  onBehalfOf: string;
  reason: string;
}

const redact = createRedactor();

/** Checks the input, fingerprints the exact call and redacts what its entries will show. */
export function prepareCall(action: FloorAction, context: GuardContext): FloorCall {
  const name = text(action.name, 'name');
  const resource = text(action.resource, 'resource');
  const actor = text(context.actor, 'actor');
  const onBehalfOf = text(context.onBehalfOf, 'onBehalfOf');
  const reason = text(context.reason, 'reason');
  const sessionId = text(context.sessionId, 'sessionId');
  if (typeof action.run !== 'function') throw new TypeError('run: a function');
  const walk: Walk = { values: 0, flagged: scrubText(reason) !== reason || scrubText(resource) !== resource };
  const pj = paramsJson(action.params, 0, walk);
  if (pj.length > MAX_PARAMS_JSON || pj[0] !== '{')
    throw new TypeError('params: an object of at most 64 KiB');
  // Redaction only when the walk flagged a key or a string; its output is what the entries hold.
  const shown = walk.flagged ? redact(JSON.parse(pj) as JsonObject) : null;
  const shownJson = shown === null ? pj : JSON.stringify(sortDeep(shown.params));
  const redactedPaths = shown === null ? '[]' : JSON.stringify(shown.redactedPaths);
  return {
    name,
    resource,
    sessionId,
    fingerprint: sha256(identity(name, pj, resource)),
    shownJson,
    paramsHash: sha256(pj),
    redactedPaths,
    actor,
    onBehalfOf,
    reason,
  };
}

/** The `action` member of an entry, written when the entry is (not kept per call). */
function actionJson(call: FloorCall): string {
  return (
    `{"name":${JSON.stringify(call.name)},"params":${call.shownJson},"paramsHash":"${call.paramsHash}",` +
    `"redactedPaths":${call.redactedPaths},"resource":${JSON.stringify(call.resource)}}`
  );
}

/** The first rule whose action pattern matches. */
export function firstRule(rules: readonly FloorRule[], name: string): FloorRule | undefined {
  return rules.find((r) =>
    r.action.endsWith('*') ? name.startsWith(r.action.slice(0, -1)) : r.action === name,
  );
}

interface FloorGrant {
  fingerprint: string;
  sessionId: string;
  expiresAt: number;
  consumedAt: number | null;
}

/** Live grants by token hash: single use, this call, this session, unexpired; gone once revoked. */
export class FloorGrants {
  readonly #live = new Map<string, FloorGrant>();

  issue(call: FloorCall, ttlMs: number): { token: string; tokenHash: string; expiresAt: number } {
    const token = `cst_${random(32).toString('base64url')}`;
    const tokenHash = sha256(token);
    const expiresAt = Date.now() + ttlMs;
    this.#live.set(tokenHash, {
      fingerprint: call.fingerprint,
      sessionId: call.sessionId,
      expiresAt,
      consumedAt: null,
    });
    return { token, tokenHash, expiresAt };
  }

  consume(token: string, presented: FloorPresented): void {
    const grant = this.#live.get(sha256(token));
    if (grant === undefined) throw new Error('unknown or revoked grant');
    const pj = paramsJson(presented.params, 0, { values: 0, flagged: true });
    const now = Date.now();
    if (grant.consumedAt !== null || now >= grant.expiresAt) throw new Error('grant spent or expired');
    if (presented.sessionId !== grant.sessionId) throw new Error('another session');
    if (sha256(identity(presented.name, pj, presented.resource)) !== grant.fingerprint)
      throw new Error('another call');
    grant.consumedAt = now;
  }

  /** Revokes; returns when it was consumed, or null. */
  revoke(tokenHash: string): number | null {
    const grant = this.#live.get(tokenHash);
    this.#live.delete(tokenHash);
    return grant?.consumedAt ?? null;
  }
}

/** One entry's facts; strings already JSON where named so. */
export interface FloorEntry {
  type: string;
  call: FloorCall;
  /** Whether the entry repeats the action (outcome entries of version 2 name their grant's entry instead). */
  withAction: boolean;
  at: number;
  requestId: string | null;
  grantId: string | null;
  ruleId: string;
  approver?: string | null;
  outcome?: string | null;
  via?: string | null;
  /** Text, or what renders it when the entry is written (no string kept per pending request). */
  detail?: string | null | { describe(): string };
  consumedAt?: number | null;
  grantEntry?: { seq: number; hash: string } | null;
}

const q = (value: string | null | undefined | { describe(): string }) =>
  value == null ? 'null' : JSON.stringify(typeof value === 'string' ? value : value.describe());

/** An entry once sealed: its place in the chain is written onto the entry itself (one object each). */
interface Sealed extends FloorEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * The chain: seals entries as RFC 8785 JSON without `hash`, and keeps each entry's facts (the
 * call shared with its other entries), as a memory store keeps records; `lines` renders the export.
 */
export class FloorChain {
  readonly #entries: Sealed[] = [];
  #seq = 0;
  #head = GENESIS;

  /** Entries kept, oldest dropped: as the bench's memory store bounds its audit. */
  constructor(private readonly keep = 100_000) {}

  seal(entry: FloorEntry): { seq: number; hash: string } {
    const sealed = entry as Sealed;
    sealed.seq = ++this.#seq;
    sealed.prevHash = this.#head;
    const [head, rest] = entryJson(sealed);
    sealed.hash = sha256(head + rest);
    this.#head = sealed.hash;
    this.#entries.push(sealed);
    if (this.#entries.length >= this.keep + (this.keep >> 4)) {
      this.#entries.splice(0, this.#entries.length - this.keep);
    }
    return sealed;
  }

  /** The exported lines, `hash` in its RFC 8785 place (after `grantId`). */
  get lines(): string[] {
    return this.#entries.map((sealed) => {
      const [head, rest] = entryJson(sealed);
      return `${head},"hash":"${sealed.hash}"${rest}`;
    });
  }
}

/** An entry's RFC 8785 JSON without `hash`, cut where `hash` goes. */
function entryJson(e: Sealed): [string, string] {
  const { seq, prevHash } = e;
  const { call } = e;
  const ref = e.grantEntry == null ? 'null' : `{"hash":"${e.grantEntry.hash}","seq":${e.grantEntry.seq}}`;
  return [
    `{"action":${e.withAction ? actionJson(call) : 'null'},"actor":${JSON.stringify(call.actor)},"approver":${q(e.approver)},` +
      `"at":${e.at},"comment":null,"consumedAt":${e.consumedAt ?? 'null'},"detail":${q(e.detail)},` +
      `"fingerprint":"${call.fingerprint}","formatVersion":2,"grantEntry":${ref},"grantId":${q(e.grantId)}`,
    `,"onBehalfOf":${JSON.stringify(call.onBehalfOf)},"outcome":${q(e.outcome)},"prevHash":"${prevHash}","reason":${JSON.stringify(call.reason)},` +
      `"requestId":${q(e.requestId)},"ruleId":${JSON.stringify(e.ruleId)},"seq":${seq},"sessionId":${JSON.stringify(call.sessionId)},` +
      `"type":"${e.type}","via":${q(e.via)}}`,
  ];
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortDeep((value as Record<string, unknown>)[key]);
  return out;
}

/**
 * Issues a single-use grant with its entry (`allowed` or `granted`), runs the action, then in
 * `finally` revokes it and seals the outcome (`executed` or `failed`) naming the grant's entry.
 */
export async function runWithGrant(
  chain: FloorChain,
  grants: FloorGrants,
  action: FloorAction,
  issue: {
    type: 'allowed' | 'granted';
    call: FloorCall;
    requestId: string | null;
    ruleId: string;
    ttlMs: number;
  },
): Promise<unknown> {
  const { call, requestId, ruleId } = issue;
  const grantId = newId('grt_');
  const grant = grants.issue(call, issue.ttlMs);
  const issued = chain.seal({
    type: issue.type,
    call,
    withAction: true,
    at: Date.now(),
    requestId,
    grantId,
    ruleId,
    detail: `grant expires at ${grant.expiresAt}`,
  });
  let failed: unknown = null;
  try {
    return await action.run({ token: grant.token, consume: (p) => grants.consume(grant.token, p) });
  } catch (error) {
    failed = error;
    throw error;
  } finally {
    const consumedAt = grants.revoke(grant.tokenHash);
    chain.seal({
      type: failed === null ? 'executed' : 'failed',
      call,
      withAction: false,
      at: Date.now(),
      requestId,
      grantId,
      ruleId,
      consumedAt,
      detail: failed === null ? null : scrubText(String(failed)),
      grantEntry: issued,
    });
  }
}
