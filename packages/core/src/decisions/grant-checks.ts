// grants.consume(): the resource side accepting a grant token once, for exactly its call.

import {
  GrantRefusal,
  GrantRefusedError,
  isCountersignError,
  StoreError,
  ValidationError,
} from '../lib/errors.js';
import { identityJson } from '../lib/fingerprint.js';
import { sha256Hex } from '../lib/ids.js';
import { readMembers } from '../lib/input.js';
import { readJsonParams } from '../lib/params-walk.js';
import { type AuditDraft, emptyDraft } from '../model/audit.js';
import type { GrantCheck, GrantRecord } from '../model/grants.js';
import { GRANT_CHECK_KEYS, grantCheckSchema, parseInput, plainGrantCheck } from '../model/schemas.js';
import type { Runtime } from '../runtime/runtime.js';
import { checkGrant } from '../runtime/stored-records.js';

/**
 * The resource side of a grant: accepts a token once, for exactly the action, resource, params
 * and session it was issued for. Every refusal is audited.
 */
export async function consumeGrant(runtime: Runtime, token: string, check: GrantCheck): Promise<GrantRecord> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 256) {
    throw new ValidationError('grant token', ['must be the token string from grant.token']);
  }
  const members = readMembers(check, GRANT_CHECK_KEYS, 'grant check');
  const parsed = plainGrantCheck(members) ?? parseInput(grantCheckSchema, members, 'grant check');
  const read = readJsonParams(parsed.params, 'grant check');
  const identity = identityJson(parsed.name, parsed.resource ?? null, read.json);
  // A grant this process issued and is running is found by its token, and needs no read: its
  // record is here. The same call writes the same text, so its fingerprint needs no hash either.
  const live = runtime.liveGrants.get(token);
  const tokenHash = live !== undefined ? live.record.tokenHash : sha256Hex(token);
  const fingerprint =
    live !== undefined && live.identity === identity ? live.record.fingerprint : sha256Hex(identity);
  const known = live !== undefined ? live.record : await runtime.loadGrant(tokenHash);
  const now = runtime.now();
  if (known !== null) {
    // Through the process running the grant, the consumption is recorded on the entry that ends it.
    const consumed =
      live === undefined
        ? [consumeDraft('consumed', now, known, parsed.sessionId, fingerprint, null)]
        : NO_DRAFTS;
    const match = { tokenHash, fingerprint, sessionId: parsed.sessionId, now };
    const { sync } = runtime;
    if (live !== undefined && sync !== null) {
      // In place: the grant's end sees the consumption at once, with nothing in flight to wait for.
      let result: GrantRecord | null;
      try {
        result = sync.consumeGrant(match, NO_DRAFTS);
      } catch (error) {
        live.uncertain = true;
        throw isCountersignError(error) ? error : new StoreError(`${runtime.store.name}.consumeGrant`, error);
      }
      if (result !== null) {
        live.consumedAt = now;
        return ownConsumption(result, live.record, now) ?? checkGrant(result);
      }
    } else {
      const attempt = runtime.call('consumeGrant', () => runtime.store.consumeGrant(match, consumed));
      const result = await (live === undefined ? attempt : live.track(attempt, now));
      if (result !== null) {
        if (live === undefined) runtime.emit(consumed, null);
        return checkGrant(result);
      }
    }
  }
  // Re-read: a racer may have consumed it between our read and our attempt.
  const latest = known === null ? null : await runtime.loadGrant(tokenHash);
  const reason = refusalReason(latest, fingerprint, parsed.sessionId, now);
  const refused = [consumeDraft('consume_refused', now, known, parsed.sessionId, fingerprint, reason)];
  await runtime.append(refused, null);
  throw new GrantRefusedError(reason, known?.id ?? null);
}

/** What the consumption through this process writes of its own: nothing (the grant's end records it). */
const NO_DRAFTS: readonly AuditDraft[] = Object.freeze([]);

/**
 * The grant `record` (core's own, issued by this process) as consumed at `now`, when `raw`, what
 * the store answered, says it is that consumption: its id and time are ours. Nothing else of `raw`
 * is read or handed on, so it needs no check; anything else is null, and is checked as any record.
 */
function ownConsumption(raw: unknown, record: GrantRecord, now: number): GrantRecord | null {
  try {
    const answer = raw as Partial<Record<keyof GrantRecord, unknown>> | null;
    if (typeof answer !== 'object' || answer === null || answer.id !== record.id || answer.consumedAt !== now)
      return null;
  } catch {
    return null; // a getter that throws: checkGrant names the record corrupt
  }
  return Object.freeze({
    id: record.id,
    tokenHash: record.tokenHash,
    fingerprint: record.fingerprint,
    sessionId: record.sessionId,
    requestId: record.requestId,
    actor: record.actor,
    ruleId: record.ruleId,
    issuedAt: record.issuedAt,
    expiresAt: record.expiresAt,
    consumedAt: now,
    revokedAt: null,
  });
}

function consumeDraft(
  type: 'consumed' | 'consume_refused',
  now: number,
  known: GrantRecord | null,
  sessionId: string,
  fingerprint: string,
  detail: string | null,
): AuditDraft {
  return {
    ...emptyDraft(type, now),
    requestId: known?.requestId ?? null,
    grantId: known?.id ?? null,
    actor: known?.actor ?? null,
    sessionId,
    fingerprint,
    ruleId: known?.ruleId ?? null,
    detail,
    consumedAt: type === 'consumed' ? now : null,
  };
}

function refusalReason(
  grant: GrantRecord | null,
  fingerprint: string,
  sessionId: string,
  now: number,
): GrantRefusal {
  if (grant === null) return GrantRefusal.Unknown;
  if (grant.consumedAt !== null) return GrantRefusal.Consumed;
  if (grant.revokedAt !== null) return GrantRefusal.Revoked;
  if (grant.expiresAt <= now) return GrantRefusal.Expired;
  if (grant.sessionId !== sessionId) return GrantRefusal.SessionMismatch;
  if (grant.fingerprint !== fingerprint) return GrantRefusal.ActionMismatch;
  return GrantRefusal.Consumed;
}
