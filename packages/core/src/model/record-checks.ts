// Records read back from a store: each checked against its one member table, sharing what cannot change.

import { CorruptRecordError, isCountersignError } from '../lib/errors.js';
import { arrayOf, type Check, checkWith, isPlainObject, text } from '../lib/record-shape.js';
import {
  type ApprovalRequest,
  approvalRequestShape,
  decisionShape,
  deliveryReceiptShape,
  redactedActionShape,
} from './approval.js';
import { type GrantRecord, grantRecordShape } from './grants.js';

/**
 * Deep-frozen parts of requests that passed their member's check, one set per member (a part
 * valid in one member can be invalid in another). Core writes these parts frozen itself (a call's
 * action, a rule's approver list, each new list of decisions or receipts: see
 * {@link frozenParts}), so any store that hands them back unchanged, freezing or not, spares later
 * versions of the request the walk. Only frozen values are remembered: nothing can change them.
 */
const checkedActions = new WeakSet<object>();
const checkedApprovers = new WeakSet<object>();
const checkedDecisions = new WeakSet<object>();
const checkedDeliveries = new WeakSet<object>();

/** Whether `value` is in one of the sets above: known deep-frozen, so it is shared without a walk. */
function isRemembered(value: object): boolean {
  return (
    checkedActions.has(value) ||
    checkedDecisions.has(value) ||
    checkedDeliveries.has(value) ||
    checkedApprovers.has(value)
  );
}

/** `check`, remembered in `checked` for deep-frozen values that pass it. */
function remembered(check: Check, checked: WeakSet<object>): Check {
  return (value) => {
    if (typeof value === 'object' && value !== null && checked.has(value)) return true;
    if (!check(value)) return false;
    if (isDeepFrozen(value)) checked.add(value as object);
    return true;
  };
}

const isRequest = checkWith(approvalRequestShape, {
  action: remembered(redactedActionShape.check, checkedActions),
  approvers: remembered(arrayOf(text).check, checkedApprovers),
  decisions: remembered(arrayOf(decisionShape).check, checkedDecisions),
  deliveries: remembered(arrayOf(deliveryReceiptShape).check, checkedDeliveries),
});

/** Whether nothing in `value` can change any more, so sharing it is as safe as copying it. */
function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || isRemembered(value)) return true;
  if (!Object.isFrozen(value)) return false;
  for (const member of Object.values(value)) if (!isDeepFrozen(member)) return false;
  return true;
}

/** A copy of plain JSON data: new objects and arrays, shared strings, and shared deep-frozen parts. */
function copyData<T>(value: T): T {
  if (typeof value !== 'object' || value === null || isDeepFrozen(value)) return value;
  if (Array.isArray(value)) return value.map(copyData) as T;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(copy)) {
    const member = copy[key];
    if (typeof member === 'object' && member !== null) copy[key] = copyData(member);
  }
  return copy as T;
}

/**
 * A frozen copy of plain data: arrays and plain objects copied and frozen, deep-frozen parts
 * shared, and anything else (a class instance, say) left as it is, for the store and the checks.
 */
function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null || isDeepFrozen(value)) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as T;
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(copy)) copy[key] = frozenCopy(copy[key]);
  return Object.freeze(copy) as T;
}

/**
 * `next` with its decisions and receipts deep-frozen (copied, so no transport's object is frozen
 * under it): every later version of the request shares them, and they are checked once.
 */
export function frozenParts(next: ApprovalRequest): ApprovalRequest {
  next.decisions = frozenCopy(next.decisions);
  next.deliveries = frozenCopy(next.deliveries);
  return next;
}

/**
 * What `approvalRequestSchema.parse(raw)` returns, or null when only the schema can tell. Deeply
 * frozen parts (the ones core wrote, a call's frozen action) are shared rather than copied: they
 * cannot change, and the action keeps its cached canonical JSON for the audit entries. So is a
 * request that is deep-frozen as a whole.
 */
export function plainRequest(raw: unknown): ApprovalRequest | null {
  if (!isRequest(raw)) return null;
  const request = raw as ApprovalRequest;
  return isFrozenRequest(request) ? request : copyData(request);
}

/**
 * Whether a request that passed the shape check is deep-frozen: its own members are strings,
 * numbers and null, and each of its objects was remembered by its member's check if frozen.
 */
function isFrozenRequest(request: ApprovalRequest): boolean {
  return (
    Object.isFrozen(request) &&
    checkedActions.has(request.action) &&
    checkedApprovers.has(request.approvers) &&
    checkedDecisions.has(request.decisions) &&
    checkedDeliveries.has(request.deliveries)
  );
}

/** Whether `raw` is a grant record `grantRecordSchema` accepts unchanged; no copy made. */
export function isGrantRecord(raw: unknown): raw is GrantRecord {
  return grantRecordShape.check(raw);
}

/**
 * Whether `raw`, what a store's synchronous `revokeGrant` returned for a grant this process issued,
 * is the revocation asked for: a frozen record of the grant `id`, revoked at `now`. That is all
 * the allow path reads of it (whether its grant was revoked), and the grant's members are core's
 * own, so it is not walked again; anything else is checked as any record read back is.
 */
export function isOwnRevocation(raw: unknown, id: string, now: number): boolean {
  if (typeof raw !== 'object' || raw === null || !Object.isFrozen(raw)) return false;
  const record = raw as Partial<Record<keyof GrantRecord, unknown>>;
  return record.id === id && record.revokedAt === now;
}

/** What `grantRecordSchema.parse(raw)` returns, or null when only the schema can tell. */
export function plainGrant(raw: unknown): GrantRecord | null {
  if (!isGrantRecord(raw)) return null;
  // A frozen record (the memory store's) cannot change under core: shared, not copied.
  return Object.isFrozen(raw) ? raw : { ...raw };
}

/**
 * Runs `check` over what a store returned: a value whose getters or proxy traps throw (or a
 * revoked proxy) is a CorruptRecordError naming `what`, never a TypeError.
 */
export function checkStored<T>(what: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (isCountersignError(error)) throw error;
    throw new CorruptRecordError(what, ['could not be read']);
  }
}

/** A list a store method returned, copied once into an array; its items are the caller's to check. */
export function checkList(raw: unknown, method: string): unknown[] {
  const what = `${method} result`;
  const list = checkStored(what, () => (Array.isArray(raw) ? raw.slice() : null));
  if (list === null) throw new CorruptRecordError(what, ['must be an array']);
  return list;
}

/** How many members a request has: each is compared in {@link ownCopy} (a test holds the two together). */
const REQUEST_MEMBERS = Object.keys(approvalRequestShape.members).length;

/**
 * What a store answered to a write of `next` (core's own next version, valid as built), as
 * `plainRequest` would return it, when it is a frozen copy of `next` member for member: a frozen
 * plain object with exactly its members, each the very value `next` holds, every object among
 * them deep-frozen (so nothing can change it under core). Those parts are remembered, as a check
 * would remember them, so later reads of this version share them too. Null for anything else:
 * then the answer is checked as any record read back.
 */
export function ownCopy(raw: unknown, next: ApprovalRequest): ApprovalRequest | null {
  try {
    if (!isPlainObject(raw) || !Object.isFrozen(raw)) return null;
    let count = 0;
    for (const _ in raw) count++;
    const r = raw as Partial<ApprovalRequest>;
    // Named reads, not a loop over the keys: the comparison costs less than any check of them.
    if (
      count !== REQUEST_MEMBERS ||
      r.id !== next.id ||
      r.version !== next.version ||
      r.status !== next.status ||
      r.fingerprint !== next.fingerprint ||
      r.actor !== next.actor ||
      r.onBehalfOf !== next.onBehalfOf ||
      r.reason !== next.reason ||
      r.sessionId !== next.sessionId ||
      r.idempotencyKey !== next.idempotencyKey ||
      r.risk !== next.risk ||
      r.ruleId !== next.ruleId ||
      r.quorum !== next.quorum ||
      r.grantTtlMs !== next.grantTtlMs ||
      r.createdAt !== next.createdAt ||
      r.expiresAt !== next.expiresAt ||
      r.decidedAt !== next.decidedAt ||
      r.grantId !== next.grantId ||
      r.closedReason !== next.closedReason ||
      !samePart(r.action, next.action) ||
      !samePart(r.approvers, next.approvers) ||
      !samePart(r.decisions, next.decisions) ||
      !samePart(r.deliveries, next.deliveries)
    )
      return null;
  } catch {
    return null; // a getter or trap that throws: the check names the record corrupt
  }
  const request = raw as unknown as ApprovalRequest;
  checkedActions.add(request.action);
  checkedApprovers.add(request.approvers);
  checkedDecisions.add(request.decisions);
  checkedDeliveries.add(request.deliveries);
  return request;
}

/** Whether `part` is `expected`, an object nothing can change (remembered, or deep-frozen). */
function samePart(part: unknown, expected: object): boolean {
  return part === expected && (isRemembered(expected) || isDeepFrozen(expected));
}
