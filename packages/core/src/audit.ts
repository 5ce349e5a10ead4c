// The audit chain: the entry format, sealing drafts into the chain, and verifying a chain or an export.
import type { z } from 'zod';
import { type ApprovalRequest, type RedactedAction, redactedActionShape } from './approval.js';
import { cachedCanonicalJson, canonicalJson, quote, rememberCanonicalJson } from './canonical-json.js';
import type { GrantRecord } from './grants.js';
import { sha256Hex } from './ids.js';
import { lineProblem } from './line-problem.js';
import { isCheckedFrozenAction } from './record-checks.js';
import {
  finite,
  finiteOrNull,
  isPlainObject,
  isTextOrNull,
  nullable,
  oneOf,
  positiveInt,
  record,
  text as textMember,
  textOrNull,
} from './record-shape.js';
import { formatIssues } from './schemas.js';

export const AUDIT_TYPES = [
  'requested',
  'delivered',
  'delivery_failed',
  'decided',
  'refused',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'allowed',
  'policy_denied',
  'granted',
  'consumed',
  'consume_refused',
  'executed',
  'failed',
  'revoked',
  'credential_issued',
  'credential_revoked',
  'credential_reaped',
  'reuse_opened',
  'reused',
  'reuse_revoked',
  'reminded',
  'escalated',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

/** An audit record's members before it joins the chain. Absent facts are `null`, never missing. */
const draftMembers = {
  type: oneOf(AUDIT_TYPES),
  at: finite,
  requestId: textOrNull,
  grantId: textOrNull,
  actor: textOrNull,
  onBehalfOf: textOrNull,
  sessionId: textOrNull,
  action: nullable(redactedActionShape),
  fingerprint: textOrNull,
  /** The policy rule that explains this step, or `'default'`. */
  ruleId: textOrNull,
  /** The agent's stated reason, unverified. */
  reason: textOrNull,
  approver: textOrNull,
  outcome: nullable(oneOf(['approve', 'deny'])),
  comment: textOrNull,
  via: textOrNull,
  detail: textOrNull,
  /**
   * On the entry that ends a grant (`executed`, `failed`, `revoked`): when the grant was consumed,
   * or null if it never was. A grant consumed by another process has a `consumed` entry of its own.
   */
  consumedAt: finiteOrNull,
};
export const auditDraftSchema = record(draftMembers).schema;
export type AuditDraft = z.infer<typeof auditDraftSchema>;

const auditEntryShape = record({ ...draftMembers, seq: positiveInt, prevHash: textMember, hash: textMember });
export const auditEntrySchema = auditEntryShape.schema;
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** The newest entry's position; keep it somewhere the store cannot write to detect truncation. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 of the canonical JSON of an entry without its own `hash` member, if it has one. */
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  const json = auditEntryJson(entry);
  if (json !== undefined) return sha256Hex(json);
  const { hash: _, ...body } = entry;
  return sha256Hex(canonicalJson(body));
}

/** Members of an entry besides `hash`. */
const BODY_MEMBERS = Object.keys(auditEntryShape.members).length - 1;

/**
 * `canonicalJson(entry)` without sorting keys, for the shape every entry has: exactly the known
 * members, each of its expected type, written in RFC 8785 order. Anything else returns undefined
 * and goes the general way, so the output is the same string either way. Members are read by
 * name, not in a loop over keys, because hashing runs for every entry written and verified.
 */
function auditEntryJson(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string | undefined {
  const members = Object.keys(entry).length - (entry.hash === undefined ? 0 : 1);
  return members === BODY_MEMBERS ? typedEntryJson(entry) : undefined;
}

/** {@link auditEntryJson} for an entry whose members are known to be exactly the schema's. */
function typedEntryJson(entry: Omit<AuditEntry, 'hash'>): string | undefined {
  const { action, actor, approver, at, comment, consumedAt, detail, fingerprint, grantId, onBehalfOf } =
    entry;
  const { outcome, prevHash, reason, requestId, ruleId, seq, sessionId, type, via } = entry;
  const known =
    Number.isFinite(at) &&
    (consumedAt === null || Number.isFinite(consumedAt)) &&
    Number.isFinite(seq) &&
    typeof action === 'object' &&
    typeof type === 'string' &&
    isTextOrNull(actor) &&
    isTextOrNull(approver) &&
    isTextOrNull(comment) &&
    isTextOrNull(detail) &&
    isTextOrNull(fingerprint) &&
    isTextOrNull(grantId) &&
    isTextOrNull(onBehalfOf) &&
    isTextOrNull(outcome) &&
    isTextOrNull(prevHash) &&
    isTextOrNull(reason) &&
    isTextOrNull(requestId) &&
    isTextOrNull(ruleId) &&
    isTextOrNull(sessionId) &&
    isTextOrNull(via);
  return known ? knownEntryJson(entry) : undefined;
}

/** The canonical JSON of an entry already known to have exactly the members and types of the schema. */
function knownEntryJson(entry: Omit<AuditEntry, 'hash'>): string {
  const [head, tail] = knownEntryParts(entry);
  return head + tail;
}

/**
 * {@link knownEntryJson} cut where the `hash` member goes in RFC 8785 order (after `grantId`), so
 * the hash input and the exported line are built from the same two strings.
 */
function knownEntryParts(entry: Omit<AuditEntry, 'hash'>): [string, string] {
  const { action, actor, approver, at, comment, consumedAt, detail, fingerprint, grantId, onBehalfOf } =
    entry;
  const { outcome, prevHash, reason, requestId, ruleId, seq, sessionId, type, via } = entry;
  return [
    `{"action":${actionJson(action)},"actor":${member(0, actor)}` +
      `,"approver":${member(1, approver)},"at":${JSON.stringify(at)},"comment":${text(comment)}` +
      `,"consumedAt":${consumedAt === null ? 'null' : JSON.stringify(consumedAt)}` +
      `,"detail":${text(detail)},"fingerprint":${member(2, fingerprint)},"grantId":${text(grantId)}`,
    `,"onBehalfOf":${member(3, onBehalfOf)},"outcome":${text(outcome)},"prevHash":${text(prevHash)}` +
      `,"reason":${member(4, reason)},"requestId":${member(5, requestId)},"ruleId":${member(6, ruleId)}` +
      `,"seq":${JSON.stringify(seq)},"sessionId":${member(7, sessionId)},"type":${quote(type)},"via":${member(8, via)}}`,
  ];
}

/**
 * For each member a call's entries usually repeat, the last string quoted and its JSON. Chains are
 * written and verified in order, and one call's entries share their actor, session, reason, rule
 * and fingerprint, so most members are found here instead of being checked and quoted again.
 */
const lastQuoted: (string | null)[] = new Array(18).fill(null);

function member(slot: number, value: string | null): string {
  if (value === null) return 'null';
  if (lastQuoted[slot * 2] === value) return lastQuoted[slot * 2 + 1]!;
  const quoted = quote(value);
  lastQuoted[slot * 2] = value;
  lastQuoted[slot * 2 + 1] = quoted;
  return quoted;
}

/** `canonicalJson(action)`, with the five members of an action written in order, unsorted. */
function actionJson(action: RedactedAction | null): string {
  if (action === null) return 'null';
  const cached = cachedCanonicalJson(action);
  if (cached !== undefined) return cached;
  if (!isPlainObject(action) || Object.keys(action).length !== ACTION_MEMBERS) return canonicalJson(action);
  const { name, params, paramsHash, redactedPaths, resource } = action;
  if (typeof name !== 'string' || typeof paramsHash !== 'string' || !isTextOrNull(resource))
    return canonicalJson(action);
  const json =
    `{"name":${quote(name)},"params":${canonicalJson(params)},"paramsHash":${quote(paramsHash)}` +
    `,"redactedPaths":${canonicalJson(redactedPaths)},"resource":${text(resource)}}`;
  // A request's action, read back from a store that froze it: its next entries will want it too.
  if (isCheckedFrozenAction(action)) rememberCanonicalJson(action, json);
  return json;
}

/** Members of a redacted action. */
const ACTION_MEMBERS = Object.keys(redactedActionShape.members).length;

function text(value: string | null): string {
  return value === null ? 'null' : quote(value);
}

/**
 * True only for a value `auditEntrySchema` accepts unchanged: plain data with exactly the known
 * members, each of its type. Verifying then skips the schema, which copies every entry; anything
 * else still goes through the schema, so what passes and what fails is the same.
 */
export function isPlainAuditEntry(raw: unknown): raw is AuditEntry {
  return auditEntryShape.check(raw);
}

const ENTRY_MEMBER_NAMES: ReadonlySet<string> = new Set(Object.keys(auditEntryShape.members));
const ACTION_MEMBER_NAMES: ReadonlySet<string> = new Set(Object.keys(redactedActionShape.members));

/** Why `raw` is not an entry, naming the member: only called once it has failed the shape check. */
function entryProblem(raw: unknown): string {
  if (!isPlainObject(raw)) return 'it is not a plain JSON object';
  const stray =
    strayMember(raw, ENTRY_MEMBER_NAMES, '') ??
    (isPlainObject(raw.action) ? strayMember(raw.action, ACTION_MEMBER_NAMES, 'action.') : null);
  if (stray !== null) return `member "${stray}" is not part of the entry format`;
  const parsed = auditEntrySchema.safeParse(raw);
  return parsed.success ? 'it is not plain JSON data' : formatIssues(parsed.error).join('; ');
}

function strayMember(record: Record<string, unknown>, known: ReadonlySet<string>, prefix: string) {
  const stray = Object.keys(record).find((key) => !known.has(key));
  return stray === undefined ? null : prefix + stray;
}

/**
 * Chains drafts after `head`. Stores call this inside the same atomic step that reads the head
 * and writes the entries, so concurrent writers cannot fork the chain.
 */
export function sealAuditEntries(head: AuditHead | null, drafts: readonly AuditDraft[]): AuditEntry[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  return drafts.map((draft) => {
    seq += 1;
    // Built member by member rather than spread, so every entry shares one compact shape.
    const entry: AuditEntry = {
      type: draft.type,
      at: draft.at,
      requestId: draft.requestId,
      grantId: draft.grantId,
      actor: draft.actor,
      onBehalfOf: draft.onBehalfOf,
      sessionId: draft.sessionId,
      action: draft.action,
      fingerprint: draft.fingerprint,
      ruleId: draft.ruleId,
      reason: draft.reason,
      approver: draft.approver,
      outcome: draft.outcome,
      comment: draft.comment,
      via: draft.via,
      detail: draft.detail,
      consumedAt: draft.consumedAt,
      seq,
      prevHash,
      hash: '',
    };
    const json = typedEntryJson(entry);
    entry.hash = json === undefined ? hashAuditEntry(entry) : sha256Hex(json);
    prevHash = entry.hash;
    return entry;
  });
}

export function emptyDraft(type: AuditType, at: number): AuditDraft {
  return {
    type,
    at,
    requestId: null,
    grantId: null,
    actor: null,
    onBehalfOf: null,
    sessionId: null,
    action: null,
    fingerprint: null,
    ruleId: null,
    reason: null,
    approver: null,
    outcome: null,
    comment: null,
    via: null,
    detail: null,
    consumedAt: null,
  };
}

/** The audit draft for a step of `request`: who, what, why and the rule, taken from the request. */
export function requestDraft(
  type: AuditType,
  request: ApprovalRequest,
  at: number,
  extra: Partial<AuditDraft> = {},
): AuditDraft {
  return {
    ...emptyDraft(type, at),
    requestId: request.id,
    grantId: request.grantId,
    actor: request.actor,
    onBehalfOf: request.onBehalfOf,
    sessionId: request.sessionId,
    action: request.action,
    fingerprint: request.fingerprint,
    ruleId: request.ruleId,
    reason: request.reason,
    ...extra,
  };
}

/** The audit draft for a step of a grant: its request, who holds it, for what call and under which rule. */
export function grantDraft(
  type: AuditType,
  grant: GrantRecord,
  at: number,
  extra: Partial<AuditDraft> = {},
): AuditDraft {
  return {
    ...emptyDraft(type, at),
    requestId: grant.requestId,
    grantId: grant.id,
    actor: grant.actor,
    sessionId: grant.sessionId,
    fingerprint: grant.fingerprint,
    ruleId: grant.ruleId,
    ...extra,
  };
}

export interface VerifyOptions {
  /** A head recorded earlier; the log must still contain it, which detects truncation. */
  head?: AuditHead | undefined;
  /** Accept a log whose oldest entries were pruned by a retention policy. */
  allowPruned?: boolean | undefined;
}

export type VerifyResult =
  | { ok: true; entries: number; head: AuditHead | null }
  | { ok: false; entries: number; brokenAt: number; problem: string };

/** One line of an exported log, for the verifier to hold to the byte. */
export interface AuditLine {
  /** The line without its terminating `\n`. */
  text: string;
  /** 1-based. */
  number: number;
}

/**
 * Checks every link of the chain, in order. Stops at the first problem. An entry must have
 * exactly the members of the entry format, and a line exactly the bytes of its entry's canonical
 * encoding: nothing is stripped or normalised before hashing, so nothing unverified survives.
 */
export class AuditVerifier {
  private count = 0;
  private previous: AuditHead | null = null;
  private anchorSeen = false;
  private failure: Extract<VerifyResult, { ok: false }> | null = null;

  constructor(private readonly options: VerifyOptions = {}) {}

  /** Feeds the next entry, and the line it was parsed from if any; returns false once the chain is broken. */
  add(raw: unknown, line?: AuditLine): boolean {
    if (this.failure) return false;
    const position = this.previous ? this.previous.seq + 1 : 1;
    if (!isPlainAuditEntry(raw)) {
      return this.fail(position, `${where(line, position)} is malformed: ${entryProblem(raw)}`);
    }
    const entry = raw;
    const [head, tail] = knownEntryParts(entry);
    let body: string;
    if (line === undefined) body = head + tail;
    else {
      const member = `,"hash":${quote(entry.hash)}`;
      const canonical = head + member + tail;
      if (line.text !== canonical) {
        return this.fail(position, `${where(line, position)} ${lineProblem(line.text, canonical)}`);
      }
      // Equal, and flat where the canonical encoding is a rope: cut the hash input from the line.
      body = line.text.slice(0, head.length) + line.text.slice(head.length + member.length);
    }
    const hash = sha256Hex(body);
    this.count += 1;
    if (this.previous === null) {
      if (entry.seq !== 1 && !this.options.allowPruned) {
        return this.fail(1, `log starts at seq ${entry.seq}: earlier entries were deleted`);
      }
      if (entry.seq === 1 && entry.prevHash !== GENESIS_HASH)
        return this.fail(1, 'first entry does not start the chain');
    } else {
      if (entry.seq !== this.previous.seq + 1) {
        return this.fail(
          this.previous.seq + 1,
          `expected seq ${this.previous.seq + 1}, found ${entry.seq}: entries were deleted, reordered or inserted`,
        );
      }
      if (entry.prevHash !== this.previous.hash) {
        return this.fail(entry.seq, `entry ${entry.seq} does not link to entry ${this.previous.seq}`);
      }
    }
    if (hash !== entry.hash)
      return this.fail(entry.seq, `entry ${entry.seq} was altered after it was written`);
    if (this.options.head && entry.seq === this.options.head.seq) {
      if (entry.hash !== this.options.head.hash) {
        return this.fail(
          entry.seq,
          `entry ${entry.seq} differs from the recorded head: the log was rewritten`,
        );
      }
      this.anchorSeen = true;
    }
    this.previous = { seq: entry.seq, hash: entry.hash };
    return true;
  }

  result(): VerifyResult {
    if (this.failure) return this.failure;
    const head = this.options.head;
    if (head && !this.anchorSeen) {
      const last = this.previous?.seq ?? 0;
      return {
        ok: false,
        entries: this.count,
        brokenAt: last + 1,
        problem: `log ends at seq ${last} but the recorded head is seq ${head.seq}: it was truncated`,
      };
    }
    const last = this.previous;
    return { ok: true, entries: this.count, head: last ? { seq: last.seq, hash: last.hash } : null };
  }

  private fail(brokenAt: number, problem: string): false {
    this.failure = { ok: false, entries: this.count, brokenAt, problem };
    return false;
  }
}

/** How a failure names the entry it found wrong: by line in an export, else by position. */
function where(line: AuditLine | undefined, position: number): string {
  return line ? `line ${line.number}` : `entry after seq ${position - 1}`;
}

/**
 * Verifies an exported log (JSON lines, as `audit.export()` writes) without the store, so an
 * auditor can check a copy offline. Every line must be the canonical encoding of its entry,
 * terminated by `\n` (the last one may omit it); an empty line is an error.
 */
export function verifyAuditLog(jsonl: string, options?: VerifyOptions): VerifyResult {
  const verifier = new AuditVerifier(options);
  const lines = jsonl.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [i, text] of lines.entries()) {
    const number = i + 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      const problem = text.trim() === '' ? 'is empty' : 'is not JSON';
      return { ok: false, entries: i, brokenAt: number, problem: `line ${number} ${problem}` };
    }
    if (!verifier.add(parsed, { text, number })) break;
  }
  return verifier.result();
}

/** The log as `verifyAuditLog` reads it: each entry's canonical encoding and a `\n`. */
export function toJsonLines(entries: readonly AuditEntry[]): string {
  return entries.map((entry) => `${auditLine(entry)}\n`).join('');
}

/**
 * RFC 8785 canonical JSON of a whole entry, `hash` included. An entry that is not well formed is
 * still written as it is (canonically when it is JSON at all), for the verifier to reject.
 */
function auditLine(entry: AuditEntry): string {
  if (isPlainAuditEntry(entry)) {
    const [head, tail] = knownEntryParts(entry);
    return `${head},"hash":${quote(entry.hash)}${tail}`;
  }
  try {
    return canonicalJson(entry);
  } catch {
    return JSON.stringify(entry);
  }
}
