// The hash input of an entry in the shape core writes, found in one pass: what verifying a store's chain does per entry.

import { isPlainObject, isTextOrNull, jsonObject } from '../lib/record-shape.js';
import { redactedActionShape } from './approval.js';
import { AUDIT_TYPES, type AuditEntry, auditEntryShape, grantEntryShape, knownEntryParts } from './audit.js';

const TYPES: ReadonlySet<unknown> = new Set(AUDIT_TYPES);
const V2_MEMBERS = Object.keys(auditEntryShape.members).length;
const ACTION_MEMBERS = Object.keys(redactedActionShape.members).length;

/**
 * The canonical JSON of `raw` without its `hash` (what its hash is taken over), when `raw` is a
 * version 2 entry that `auditEntryShape` accepts; otherwise undefined, and the caller goes the
 * general way, which finds and names what is wrong. Accepts exactly what `isPlainAuditEntry`
 * accepts of version 2 (test/audit-entry-body.test.ts holds it to that), but reads each member by
 * name: the generic shape check loops over a table of checks and cost as much as the hash input.
 */
export function wellFormedEntryBody(raw: unknown): string | undefined {
  if (!isPlainObject(raw) || Object.keys(raw).length !== V2_MEMBERS) return undefined;
  const { action, at, consumedAt, formatVersion, grantEntry, hash, outcome, prevHash, seq, type } = raw;
  const known =
    formatVersion === 2 &&
    TYPES.has(type) &&
    Number.isFinite(at) &&
    Number.isSafeInteger(seq) &&
    (seq as number) > 0 &&
    typeof prevHash === 'string' &&
    typeof hash === 'string' &&
    (outcome === null || outcome === 'approve' || outcome === 'deny') &&
    (consumedAt === null || Number.isFinite(consumedAt)) &&
    isTextOrNull(raw.actor) &&
    isTextOrNull(raw.approver) &&
    isTextOrNull(raw.comment) &&
    isTextOrNull(raw.detail) &&
    isTextOrNull(raw.fingerprint) &&
    isTextOrNull(raw.grantId) &&
    isTextOrNull(raw.onBehalfOf) &&
    isTextOrNull(raw.reason) &&
    isTextOrNull(raw.requestId) &&
    isTextOrNull(raw.ruleId) &&
    isTextOrNull(raw.sessionId) &&
    isTextOrNull(raw.via) &&
    (grantEntry === null || grantEntryShape.check(grantEntry)) &&
    (action === null || isRedactedAction(action));
  if (!known) return undefined;
  const [head, tail] = knownEntryParts(raw as AuditEntry);
  return head + tail;
}

/** `redactedActionShape.check`, members read by name. */
function isRedactedAction(action: unknown): boolean {
  if (!isPlainObject(action) || Object.keys(action).length !== ACTION_MEMBERS) return false;
  const { name, params, paramsHash, redactedPaths, resource } = action;
  return (
    typeof name === 'string' &&
    typeof paramsHash === 'string' &&
    isTextOrNull(resource) &&
    isTextList(redactedPaths) &&
    jsonObject.check(params)
  );
}

function isTextList(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (!(i in value) || typeof value[i] !== 'string') return false;
  return true;
}
