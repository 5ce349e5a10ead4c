// The audit chain: the entry format, its canonical encoding and hash, and sealing drafts into the chain.

import { z } from 'zod';
import { canonicalJson, quote } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/ids.js';
import {
  finite,
  finiteOrNull,
  isPlainObject,
  isTextOrNull,
  type Member,
  nullable,
  oneOf,
  positiveInt,
  record,
  text as textMember,
  textOrNull,
} from '../lib/record-shape.js';
import { type ApprovalRequest, type RedactedAction, redactedActionShape } from './approval.js';
import type { GrantRecord } from './grants.js';

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
/** The entry format core writes (docs/audit-format.md): version 1 entries carry no version member. */
export const AUDIT_FORMAT_VERSION = 2;

/** Where an outcome's grant was issued: the `allowed` or `granted` entry, by its `seq` and `hash`. */
export const grantEntryShape = record({ hash: textMember, seq: positiveInt });
export type GrantEntryRef = z.infer<typeof grantEntryShape.schema>;

const formatVersion2: Member<z.ZodLiteral<2>> = { schema: z.literal(2), check: (value) => value === 2 };

/** Members a version 2 entry adds to version 1's: its version, and an outcome's reference to its grant's entry. */
const version2Members = {
  formatVersion: formatVersion2,
  /**
   * On an `executed` or `failed` entry whose action is null: the entry that issued its grant, whose
   * action it is. Null on every other entry, and on an outcome that repeats its action.
   */
  grantEntry: nullable(grantEntryShape),
};

export const auditDraftSchema = record(draftMembers).schema;
/**
 * An audit record's members before it joins the chain. `formatVersion` and `grantEntry` are
 * written by sealing (`grantEntry` null unless sealing resolves it); a draft may carry them as
 * `2` and `null`, so a store that builds entries from drafts itself writes version 2 entries.
 */
export type AuditDraft = z.infer<typeof auditDraftSchema> & {
  formatVersion?: 2;
  grantEntry?: GrantEntryRef | null;
};

const chainMembers = { seq: positiveInt, prevHash: textMember, hash: textMember };
/** A version 1 entry: what core wrote before entries named their format (20 members). */
export const auditEntryV1Shape = record({ ...draftMembers, ...chainMembers });
/** A version 2 entry, as core writes it now (22 members). */
export const auditEntryShape = record({ ...draftMembers, ...version2Members, ...chainMembers });
export const auditEntrySchema = auditEntryShape.schema;
/** An entry of either version: version 2 has `formatVersion` 2 and `grantEntry`; version 1 has neither. */
export type AuditEntry = z.infer<typeof auditEntryV1Shape.schema> & {
  formatVersion?: 2;
  grantEntry?: GrantEntryRef | null;
};

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

/** Members of an entry besides `hash`, by version. */
const BODY_MEMBERS_V2 = Object.keys(auditEntryShape.members).length - 1;
const BODY_MEMBERS_V1 = Object.keys(auditEntryV1Shape.members).length - 1;

/**
 * `canonicalJson(entry)` without sorting keys, for the shape every entry has: exactly the known
 * members, each of its expected type, written in RFC 8785 order. Anything else returns undefined
 * and goes the general way, so the output is the same string either way. Members are read by
 * name, not in a loop over keys, because hashing runs for every entry written and verified.
 */
function auditEntryJson(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string | undefined {
  const members = Object.keys(entry).length - (entry.hash === undefined ? 0 : 1);
  const expected = entry.formatVersion === undefined ? BODY_MEMBERS_V1 : BODY_MEMBERS_V2;
  return members === expected ? typedEntryJson(entry) : undefined;
}

/**
 * {@link auditEntryJson} for an entry whose members are known to be exactly the schema's.
 * `refSealedHere`: its `grantEntry`, if any, is a reference sealing built in this process from an
 * entry it sealed (a positive integer `seq` and a SHA-256 `hash`), so its shape is not checked again.
 */
export function typedEntryJson(entry: Omit<AuditEntry, 'hash'>, refSealedHere = false): string | undefined {
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
    isTextOrNull(via) &&
    isVersionMembers(entry, refSealedHere);
  return known ? knownEntryJson(entry) : undefined;
}

/** Version 1 (neither member), or version 2 with a well-typed reference or none. */
function isVersionMembers(entry: Omit<AuditEntry, 'hash'>, refSealedHere: boolean): boolean {
  const { formatVersion, grantEntry } = entry;
  if (formatVersion === undefined) return grantEntry === undefined;
  if (formatVersion !== 2 || grantEntry === undefined) return false;
  return grantEntry === null || refSealedHere || grantEntryShape.check(grantEntry);
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
export function knownEntryParts(entry: Omit<AuditEntry, 'hash'>): [string, string] {
  const { action, actor, approver, at, comment, consumedAt, detail, fingerprint, grantId, onBehalfOf } =
    entry;
  const { outcome, prevHash, reason, requestId, ruleId, seq, sessionId, type, via } = entry;
  return [
    `{"action":${actionJson(action)},"actor":${member(0, actor)}` +
      `,"approver":${member(1, approver)},"at":${JSON.stringify(at)},"comment":${text(comment)}` +
      `,"consumedAt":${consumedAt === null ? 'null' : JSON.stringify(consumedAt)}` +
      `,"detail":${text(detail)},"fingerprint":${member(2, fingerprint)}${versionJson(entry)}` +
      `,"grantId":${member(9, grantId)}`,
    `,"onBehalfOf":${member(3, onBehalfOf)},"outcome":${text(outcome)},"prevHash":${member(11, prevHash)}` +
      `,"reason":${member(4, reason)},"requestId":${member(5, requestId)},"ruleId":${member(6, ruleId)}` +
      `,"seq":${integer(seq)},"sessionId":${member(7, sessionId)},"type":${typeJson(type)},"via":${member(8, via)}}`,
  ];
}

/** `,"formatVersion":2,"grantEntry":…` for a version 2 entry (they sort between fingerprint and grantId); nothing for version 1. */
function versionJson(entry: Omit<AuditEntry, 'hash'>): string {
  if (entry.formatVersion === undefined) return '';
  const ref = entry.grantEntry;
  return ref == null
    ? ',"formatVersion":2,"grantEntry":null'
    : `,"formatVersion":2,"grantEntry":{"hash":${member(PREV_HASH_SLOT, ref.hash)},"seq":${integer(ref.seq)}}`;
}

/**
 * For each member a call's entries usually repeat, the last string quoted and its JSON. Chains are
 * written and verified in order, and one call's entries share their actor, session, reason, rule
 * and fingerprint, so most members are found here instead of being checked and quoted again.
 */
const lastQuoted: (string | null)[] = new Array(24).fill(null);
/**
 * The slot of `prevHash` (and of a grant reference's hash, most often the entry just before): sealing
 * fills it with the hash it just computed, which the next entry names.
 */
const PREV_HASH_SLOT = 11;

/**
 * Tells the quoting cache that `hash`, a SHA-256 hex digest sealing just computed, is the next
 * entry's `prevHash`: hex digits need no escaping, so its JSON is the text in quotes, and the next
 * entry skips the check. The cache compares by value, so any other `prevHash` is quoted as usual.
 */
export function notePrevHash(hash: string): void {
  lastQuoted[PREV_HASH_SLOT * 2] = hash;
  lastQuoted[PREV_HASH_SLOT * 2 + 1] = `"${hash}"`;
}

/** The JSON of each known type, written once. */
const TYPE_JSON: ReadonlyMap<string, string> = new Map(AUDIT_TYPES.map((type) => [type, quote(type)]));

function typeJson(type: string): string {
  return TYPE_JSON.get(type) ?? quote(type);
}

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
  if (!isPlainObject(action) || Object.keys(action).length !== ACTION_MEMBERS) return canonicalJson(action);
  const { name, params, paramsHash, redactedPaths, resource } = action;
  if (typeof name !== 'string' || typeof paramsHash !== 'string' || !isTextOrNull(resource))
    return canonicalJson(action);
  return (
    `{"name":${member(10, name)},"params":${canonicalJson(params)},"paramsHash":${quote(paramsHash)}` +
    `,"redactedPaths":${Array.isArray(redactedPaths) && redactedPaths.length === 0 ? '[]' : canonicalJson(redactedPaths)}` +
    `,"resource":${text(resource)}}`
  );
}

/** Members of a redacted action. */
const ACTION_MEMBERS = Object.keys(redactedActionShape.members).length;

/** `JSON.stringify(value)`, which for a safe integer (every `seq`) is its decimal digits: about 3 × faster. */
function integer(value: number): string {
  return Number.isSafeInteger(value) ? `${value}` : JSON.stringify(value);
}

function text(value: string | null): string {
  return value === null ? 'null' : quote(value);
}

/**
 * True only for a value `auditEntrySchema` accepts unchanged: plain data with exactly the known
 * members, each of its type. Verifying then skips the schema, which copies every entry; anything
 * else still goes through the schema, so what passes and what fails is the same.
 */
export function isPlainAuditEntry(raw: unknown): raw is AuditEntry {
  return auditEntryShape.check(raw) || auditEntryV1Shape.check(raw);
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
    formatVersion: 2,
    grantEntry: null,
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
