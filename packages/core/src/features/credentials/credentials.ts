// Just-in-time credentials around a granted run: recorded, issued, revoked, and reaped after a crash.

import type {
  CredentialBroker,
  CredentialPlan,
  CredentialRequest,
} from '../../contracts/credential-broker.js';
import { ConfigError, CredentialError } from '../../lib/errors.js';
import { isPlainObject } from '../../lib/record-shape.js';
import { errorText } from '../../lib/redact.js';
import type { ApprovalRequest } from '../../model/approval.js';
import { type AuditDraft, type AuditEntry, emptyDraft, grantDraft } from '../../model/audit.js';
import { checkAuditPage } from '../../model/audit-reads.js';
import type { Prepared } from '../../model/call.js';
import type { Credentials, GrantRecord } from '../../model/grants.js';
import type { PolicyRule, RuleCredentials } from '../../model/rule.js';
import type { Feature, Runtime } from '../../runtime/runtime.js';

/** A rule's credentials, resolved at creation: the broker under its configured name, and the privileges. */
/** Credentials handed to one run, and what revoking them needs. */
export interface IssuedCredentials {
  credentials: Credentials;
  handle: string;
  plan: CredentialPlan;
}

/** Credential values shorter than this are not scrubbed from texts: they would erase ordinary words. */
const SHORTEST_SCRUBBED = 4;

/**
 * The credential values no record may show (for `scrubValues`): every value `run` was handed,
 * whatever its member's name, since core cannot tell a password from a user name by its name;
 * except a value equal to the handle (a PostgreSQL role's user name), which the broker contract
 * makes non-secret and `credential_issued` records anyway, and values under 4 characters.
 */
export function secretValues(issued: IssuedCredentials | null): string[] {
  if (issued === null) return [];
  return Object.values(issued.credentials).filter(
    (value) => value !== issued.handle && value.length >= SHORTEST_SCRUBBED,
  );
}

/** What a `credential_*` entry's `detail` holds, as JSON: never a secret. */
interface CredentialDetail {
  broker: string;
  handle: string;
  privileges?: readonly string[];
  expiresAt?: number;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Resolves each rule's `credentials` against the configured brokers; every problem, named by rule.
 * Unknown brokers and privileges a broker refuses are configuration errors, found at creation.
 */
export function planCredentials(
  rules: readonly { id: string; effect: string; credentials?: RuleCredentials | undefined }[],
  brokers: Readonly<Record<string, CredentialBroker>>,
): { plans: Map<string, CredentialPlan>; problems: string[] } {
  const plans = new Map<string, CredentialPlan>();
  const problems: string[] = [];
  for (const rule of rules) {
    if (rule.credentials === undefined) continue;
    const { broker: key, privileges } = rule.credentials;
    if (rule.effect === 'deny') {
      problems.push(`rule "${rule.id}" denies, so it cannot issue credentials`);
      continue;
    }
    const broker = Object.hasOwn(brokers, key) ? brokers[key] : undefined;
    if (broker === undefined) {
      const known = Object.keys(brokers);
      problems.push(
        `rule "${rule.id}" names credential broker "${key}", which is not in credentialBrokers (${known.length > 0 ? `known: ${known.join(', ')}` : 'none configured'})`,
      );
      continue;
    }
    let refused: string[];
    try {
      refused = broker.checkPrivileges(privileges);
    } catch (error) {
      refused = [`the broker's check threw: ${errorText(error)}`];
    }
    if (!Array.isArray(refused)) refused = ['the broker returned no list of problems'];
    for (const problem of refused) problems.push(`rule "${rule.id}" credentials: ${String(problem)}`);
    if (refused.length === 0) plans.set(rule.id, { brokerKey: key, broker, privileges: [...privileges] });
  }
  return { plans, problems };
}

/**
 * Records the handle in the audit chain (`credential_issued`), then issues. Throws a
 * {@link CredentialError} when either fails, after revoking whatever the broker made; the
 * credentials reach nobody but the caller, which hands them to `run` and nothing else.
 */
export async function issueCredentials(
  runtime: Runtime,
  plan: CredentialPlan,
  record: GrantRecord,
  prepared: Prepared,
  request: ApprovalRequest | null,
): Promise<IssuedCredentials> {
  const { broker, brokerKey } = plan;
  const credentialRequest: CredentialRequest = {
    grantId: record.id,
    requestId: record.requestId,
    actor: record.actor,
    sessionId: record.sessionId,
    fingerprint: record.fingerprint,
    ruleId: record.ruleId,
    action: prepared.action,
    privileges: plan.privileges,
    issuedAt: record.issuedAt,
    expiresAt: record.expiresAt,
  };
  const fail = (why: string, cause?: unknown) =>
    new CredentialError(brokerKey, record.id, why, cause === undefined ? undefined : { cause });
  let handle: unknown;
  try {
    handle = broker.handle(credentialRequest);
  } catch (error) {
    throw fail(`its handle() threw: ${errorText(error)}`, error);
  }
  if (typeof handle !== 'string' || handle.length === 0 || handle.length > 256 || CONTROL.test(handle)) {
    throw fail('its handle() must return 1 to 256 printable characters');
  }
  const detail: CredentialDetail = {
    broker: brokerKey,
    handle,
    privileges: plan.privileges,
    expiresAt: record.expiresAt,
  };
  // Durable before anything exists to leak: a crash from here on leaves a handle the reaper finds.
  try {
    await runtime.append([credentialDraft(runtime, 'credential_issued', record, detail)], request);
  } catch (error) {
    throw fail(`the issue could not be recorded: ${errorText(error)}`, error);
  }
  let credentials: unknown;
  try {
    credentials = await broker.issue(credentialRequest, handle);
    if (!isCredentials(credentials))
      throw new Error('issue() must resolve with an object of non-empty strings');
  } catch (error) {
    await revokeCredentials(runtime, { credentials: {}, handle, plan }, record, request);
    throw fail(errorText(error), error);
  }
  return { credentials, handle, plan };
}

/**
 * Revokes issued credentials and audits it (`credential_revoked`). Never throws: credentials that
 * could not be revoked stay recorded as issued, for the reaper, and expire by themselves.
 */
export async function revokeCredentials(
  runtime: Runtime,
  issued: IssuedCredentials,
  record: GrantRecord,
  request: ApprovalRequest | null,
): Promise<boolean> {
  const { handle, plan } = issued;
  try {
    await plan.broker.revoke(handle);
    const detail: CredentialDetail = { broker: plan.brokerKey, handle };
    await runtime.append([credentialDraft(runtime, 'credential_revoked', record, detail)], request);
    return true;
  } catch {
    return false;
  }
}

function credentialDraft(
  runtime: Runtime,
  type: 'credential_issued' | 'credential_revoked',
  record: GrantRecord,
  detail: CredentialDetail,
): AuditDraft {
  return grantDraft(type, record, runtime.now(), { detail: JSON.stringify(detail) });
}

function isCredentials(value: unknown): value is Credentials {
  if (!isPlainObject(value)) return false;
  const entries = Object.values(value);
  return entries.length > 0 && entries.every((entry) => typeof entry === 'string' && entry.length > 0);
}

/** Where each runtime's reaper resumes reading the chain: before the oldest issue it saw still open. */
const reaperCursors = new WeakMap<Runtime, number>();

const REAP_PAGE = 1_000;

/**
 * Revokes credentials whose grant has expired and that were issued but never revoked, because the
 * process running the action died (`credential_reaped`), up to `limit`. Reads the audit chain from
 * where this runtime's last reap left off (the whole chain the first time). Credentials of brokers
 * this instance does not have are left for one that does. Sweepers racing over one credential may
 * both revoke it, which brokers make harmless, and both audit it. Returns how many it revoked.
 */
export async function reapCredentials(runtime: Runtime, limit: number): Promise<number> {
  const brokers = runtime.options.credentialBrokers;
  if (brokers.size === 0) return 0;
  const start = reaperCursors.get(runtime) ?? 0;
  const open = new Map<string, { entry: AuditEntry; detail: CredentialDetail }>();
  let last = start;
  for (;;) {
    const raw = await runtime.call('readAudit', () => runtime.store.readAudit(last, REAP_PAGE));
    const page = checkAuditPage(raw, last, REAP_PAGE);
    for (const entry of page) {
      if (!entry.type.startsWith('credential_')) continue;
      const detail = readDetail(entry.detail);
      if (detail === null) continue;
      const key = JSON.stringify([detail.broker, detail.handle]);
      if (entry.type === 'credential_issued') open.set(key, { entry, detail });
      else open.delete(key);
    }
    const tail = page[page.length - 1];
    if (tail !== undefined) last = tail.seq;
    if (page.length < REAP_PAGE) break;
  }
  const now = runtime.now();
  let reaped = 0;
  let oldestLeft = last;
  for (const { entry, detail } of open.values()) {
    const broker = brokers.get(detail.broker);
    const due = detail.expiresAt !== undefined && detail.expiresAt <= now;
    if (broker !== undefined && due && reaped < limit) {
      try {
        await broker.revoke(detail.handle);
        const draft: AuditDraft = {
          ...emptyDraft('credential_reaped', now),
          requestId: entry.requestId,
          grantId: entry.grantId,
          actor: entry.actor,
          sessionId: entry.sessionId,
          fingerprint: entry.fingerprint,
          ruleId: entry.ruleId,
          detail: JSON.stringify({ broker: detail.broker, handle: detail.handle }),
        };
        await runtime.append([draft], null);
        reaped += 1;
        continue;
      } catch {
        // Left open: the next sweep tries again, and the credential's own expiry bounds it meanwhile.
      }
    }
    oldestLeft = Math.min(oldestLeft, entry.seq - 1);
  }
  reaperCursors.set(runtime, oldestLeft);
  return reaped;
}

function readDetail(text: string | null): CredentialDetail | null {
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isPlainObject(parsed) || typeof parsed.broker !== 'string' || typeof parsed.handle !== 'string')
    return null;
  const expiresAt = typeof parsed.expiresAt === 'number' ? parsed.expiresAt : undefined;
  return expiresAt === undefined
    ? { broker: parsed.broker, handle: parsed.handle }
    : { broker: parsed.broker, handle: parsed.handle, expiresAt };
}

/**
 * Just-in-time credentials as a feature: the brokers each rule names, checked when the instance is
 * created; on grant issue, credentials for the run, revoked when it ends; on sweep, the reaper.
 */
export function credentialsFeature(
  rules: readonly PolicyRule[],
  brokers: Record<string, CredentialBroker>,
): Feature {
  const { plans, problems } = planCredentials(rules, brokers);
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  return {
    id: 'credentials',
    onGrant(runtime, record, prepared, request) {
      const plan = plans.get(record.ruleId);
      if (plan === undefined) return null;
      return issueCredentials(runtime, plan, record, prepared, request).then((issued) => ({
        credentials: issued.credentials,
        secrets: secretValues(issued),
        end: async () => {
          await revokeCredentials(runtime, issued, record, request);
        },
      }));
    },
    onSweep: reapCredentials,
  };
}
