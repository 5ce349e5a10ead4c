/**
 * The allow-path floor (#26): the least a guard with the same guarantees does per allowed call,
 * written from scratch in one function, to show beside `guard()` in the same run. Per call it
 * checks the input (strings printable and bounded, params plain JSON within depth and count, in
 * one walk that also writes their RFC 8785 JSON and flags what redaction must look at), computes
 * the fingerprint and params hash, redacts (core's redactor, only when the walk flagged something),
 * decides by the same first-match rule, issues a single-use grant whose token only the hash of is
 * kept, seals the `allowed` entry, runs the action, whose consumption hashes the presented token
 * and re-fingerprints the presented call, then revokes in `finally` and seals the `executed`
 * entry naming the entry that issued the grant. The entries are byte for byte the lines core
 * exports: `verifyAuditLog` checks them at the end of the bench.
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
}

export interface FloorAction {
  name: string;
  resource: string;
  params: unknown;
  run: (grant: { token: string; consume: (presented: FloorPresented) => void }) => Promise<unknown>;
}

export interface FloorPresented {
  name: string;
  resource: string;
  params: unknown;
  sessionId: string;
}

interface FloorGrant {
  id: string;
  fingerprint: string;
  sessionId: string;
  expiresAt: number;
  consumedAt: number | null;
  revokedAt: number | null;
}

interface Walk {
  values: number;
  flagged: boolean;
}

/** Params as RFC 8785 JSON, checked in the same walk; throws on anything that is not plain JSON. */
function paramsJson(value: unknown, depth: number, walk: Walk): string {
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

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT || !PRINTABLE.test(value)) {
    throw new TypeError(`${what}: a printable string of 1 to ${MAX_TEXT} characters`);
  }
  return value;
}

const sha256 = (input: string) => hash('sha256', input, 'hex');
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

function grantId(): string {
  const bytes = random(20);
  let id = 'grt_';
  for (let i = 0; i < 20; i++) id += ID_ALPHABET[bytes[i]! % 36];
  return id;
}

/** A from-scratch allow path: one instance keeps its rules, live grants and chain head. */
export class AllowFloor {
  readonly lines: string[] = [];
  #seq = 0;
  #head = GENESIS;
  readonly #grants = new Map<string, FloorGrant>();
  readonly #redact = createRedactor();

  constructor(
    private readonly rules: readonly FloorRule[],
    private readonly grantTtlMs = 60_000,
    /** Lines kept, oldest dropped: as the bench's memory store bounds its audit. */
    private readonly keep = 100_000,
  ) {}

  async guard(action: FloorAction, context: GuardContext): Promise<unknown> {
    const name = text(action.name, 'name');
    const resource = text(action.resource, 'resource');
    const actor = text(context.actor, 'actor');
    const onBehalfOf = text(context.onBehalfOf, 'onBehalfOf');
    const reason = text(context.reason, 'reason');
    const sessionId = text(context.sessionId, 'sessionId');
    if (typeof action.run !== 'function') throw new TypeError('run: a function');
    const walk: Walk = {
      values: 0,
      flagged: scrubText(reason) !== reason || scrubText(resource) !== resource,
    };
    const pj = paramsJson(action.params, 0, walk);
    if (pj.length > MAX_PARAMS_JSON || pj[0] !== '{')
      throw new TypeError('params: an object of at most 64 KiB');
    const fingerprint = sha256(identity(name, pj, resource));
    const paramsHash = sha256(pj);
    // Redaction only when the walk flagged a key or a string; its output is what the entry holds.
    const shown = walk.flagged ? this.#redact(JSON.parse(pj) as JsonObject) : null;
    const shownJson = shown === null ? pj : JSON.stringify(sortDeep(shown.params));
    const redactedPaths = shown === null ? '[]' : JSON.stringify(shown.redactedPaths);
    const rule = this.rules.find((r) =>
      r.action.endsWith('*') ? name.startsWith(r.action.slice(0, -1)) : r.action === name,
    );
    if (rule === undefined || rule.effect !== 'allow') throw new Error(`not allowed: ${name}`);

    const token = `cst_${random(32).toString('base64url')}`;
    const now = Date.now();
    const grant: FloorGrant = {
      id: grantId(),
      fingerprint,
      sessionId,
      expiresAt: now + this.grantTtlMs,
      consumedAt: null,
      revokedAt: null,
    };
    const tokenHash = sha256(token);
    this.#grants.set(tokenHash, grant);
    const who = `"grantId":${JSON.stringify(grant.id)},"onBehalfOf":${JSON.stringify(onBehalfOf)},"outcome":null`;
    const why = `"reason":${JSON.stringify(reason)},"requestId":null,"ruleId":${JSON.stringify(rule.id)}`;
    const tail = `"sessionId":${JSON.stringify(sessionId)}`;
    const actionJson =
      `{"name":${JSON.stringify(name)},"params":${shownJson},"paramsHash":"${paramsHash}",` +
      `"redactedPaths":${redactedPaths},"resource":${JSON.stringify(resource)}}`;
    const issued = this.#seal(
      `{"action":${actionJson},"actor":${JSON.stringify(actor)},"approver":null,"at":${now},"comment":null,` +
        `"consumedAt":null,"detail":"grant expires at ${grant.expiresAt}","fingerprint":"${fingerprint}",` +
        `"formatVersion":2,"grantEntry":null,`,
      `${who},"prevHash":`,
      `,${why},"seq":`,
      `,${tail},"type":"allowed","via":null}`,
    );
    const consume = (presented: FloorPresented) => this.#consume(token, presented);
    let failed: unknown = null;
    try {
      return await action.run({ token, consume });
    } catch (error) {
      failed = error;
      throw error;
    } finally {
      grant.revokedAt = Date.now();
      // Revoked: kept no longer in memory (a store keeps the record; its token can no longer be used).
      this.#grants.delete(tokenHash);
      this.#seal(
        `{"action":null,"actor":${JSON.stringify(actor)},"approver":null,"at":${grant.revokedAt},"comment":null,` +
          `"consumedAt":${grant.consumedAt ?? 'null'},"detail":${failed === null ? 'null' : JSON.stringify(scrubText(String(failed)))},` +
          `"fingerprint":"${fingerprint}","formatVersion":2,"grantEntry":{"hash":"${issued.hash}","seq":${issued.seq}},`,
        `${who},"prevHash":`,
        `,${why},"seq":`,
        `,${tail},"type":"${failed === null ? 'executed' : 'failed'}","via":null}`,
      );
    }
  }

  /** Single use, this call, this session, unexpired, unrevoked. */
  #consume(token: string, presented: FloorPresented): void {
    const grant = this.#grants.get(sha256(token));
    if (grant === undefined) throw new Error('unknown grant');
    const pj = paramsJson(presented.params, 0, { values: 0, flagged: true });
    const now = Date.now();
    if (grant.revokedAt !== null || grant.consumedAt !== null || now >= grant.expiresAt)
      throw new Error('grant spent');
    if (presented.sessionId !== grant.sessionId) throw new Error('another session');
    if (sha256(identity(presented.name, pj, presented.resource)) !== grant.fingerprint)
      throw new Error('another call');
    grant.consumedAt = now;
  }

  /** Chains one entry: its RFC 8785 JSON without `hash`, hashed; the exported line with it. */
  #seal(head: string, middle: string, seqAt: string, tail: string): { seq: number; hash: string } {
    const seq = ++this.#seq;
    const at = head.length + middle.indexOf(',"onBehalfOf"');
    // Hashing flattens the body; the line is then two slices of it around `hash`, which goes
    // between `grantId` and `onBehalfOf` in RFC 8785 order: one flat string kept per entry.
    const body = `${head}${middle}"${this.#head}"${seqAt}${seq}${tail}`;
    const digest = sha256(body);
    this.#head = digest;
    this.lines.push(`${body.slice(0, at)},"hash":"${digest}"${body.slice(at)}`);
    if (this.lines.length >= this.keep + (this.keep >> 4))
      this.lines.splice(0, this.lines.length - this.keep);
    return { seq, hash: digest };
  }
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortDeep((value as Record<string, unknown>)[key]);
  return out;
}
