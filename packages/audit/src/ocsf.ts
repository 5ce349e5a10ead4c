// OCSF 1.8 export: each audit entry as an API Activity (6003) event, and NDJSON streams of them.
import { AuditActions, type AuditEntry, type AuditType, type RedactedAction } from '@countersign/core';

/** An OCSF API Activity event as this exporter writes it. */
export interface OcsfApiActivity {
  activity_id: 99;
  activity_name: AuditType;
  category_uid: 6;
  category_name: 'Application Activity';
  class_uid: 6003;
  class_name: 'API Activity';
  type_uid: 600399;
  type_name: 'API Activity: Other';
  time: number;
  /** When the grant this entry ends (or records using) was consumed: countersign's `consumedAt`. */
  start_time?: number;
  /** `at` again, closing the period from consumption to the grant's end; set with `start_time`. */
  end_time?: number;
  severity_id: number;
  severity: string;
  message: string;
  metadata: {
    version: '1.8.0';
    product: { name: 'countersign'; vendor_name: 'countersign'; version?: string };
    profiles: ['security_control'];
    uid: string;
    sequence: number;
    event_code: AuditType;
    log_name: string;
    correlation_uid?: string;
  };
  actor: { user?: { uid: string; name: string }; session?: { uid: string }; app_name: 'countersign' };
  api: { operation: string; service: { name: 'countersign' }; request?: { uid: string } };
  src_endpoint: { svc_name: string };
  resources?: { name: string; type: 'resource' }[];
  policy?: { uid: string; name: string; is_applied: true };
  authorizations?: { decision: 'Approved' | 'Denied'; policy?: { uid: string; name: string } }[];
  disposition_id?: number;
  disposition?: string;
  action_id?: number;
  action?: string;
  is_alert: boolean;
  status_id?: 1 | 2;
  status?: 'Success' | 'Failure';
  status_detail?: string;
  unmapped: Record<string, unknown>;
}

export interface OcsfOptions {
  /** `metadata.product.version`, e.g. your countersign version. Default: omitted. */
  productVersion?: string | undefined;
  /** `metadata.log_name`. Default `'countersign.audit'`. */
  logName?: string | undefined;
}

interface Outcome {
  disposition?: [number, string];
  action?: [number, string];
  status?: [1, 'Success'] | [2, 'Failure'];
  severity?: [number, string];
  alert?: true;
  decision?: 'Approved' | 'Denied';
}

const ALLOWED: [number, string] = [1, 'Allowed'];
const DENIED: [number, string] = [2, 'Denied'];
const BLOCKED: [number, string] = [2, 'Blocked'];
const APPROVED: [number, string] = [8, 'Approved'];
const UNAUTHORIZED: [number, string] = [26, 'Unauthorized'];
const ACCESS_REVOKED: [number, string] = [24, 'Access Revoked'];
const LOW: [number, string] = [2, 'Low'];
const MEDIUM: [number, string] = [3, 'Medium'];

/**
 * The mapping of every audit type, documented as a table in the README. Keyed by string, not
 * `AuditType`, so that a type a newer core adds maps to no disposition instead of failing.
 */
export const OCSF_OUTCOMES: Readonly<Record<string, Outcome>> = {
  requested: { disposition: [14, 'Delayed'], action: [4, 'Modified'] },
  delivered: { status: [1, 'Success'] },
  delivery_failed: { status: [2, 'Failure'] },
  decided: {},
  refused: { disposition: UNAUTHORIZED, action: DENIED, severity: MEDIUM, alert: true },
  approved: { disposition: APPROVED, action: ALLOWED, decision: 'Approved' },
  denied: { disposition: BLOCKED, action: DENIED, severity: LOW, decision: 'Denied' },
  expired: { disposition: BLOCKED, action: DENIED },
  cancelled: { disposition: [16, 'No Action'] },
  allowed: { disposition: ALLOWED, action: ALLOWED },
  policy_denied: { disposition: BLOCKED, action: DENIED, severity: LOW },
  granted: { disposition: ALLOWED, action: ALLOWED },
  consumed: { disposition: ALLOWED, action: ALLOWED },
  consume_refused: { disposition: UNAUTHORIZED, action: DENIED, severity: MEDIUM, alert: true },
  executed: { status: [1, 'Success'] },
  failed: { status: [2, 'Failure'] },
  revoked: { disposition: ACCESS_REVOKED },
  credential_issued: { disposition: ALLOWED, action: ALLOWED },
  credential_revoked: { disposition: ACCESS_REVOKED },
  credential_reaped: { disposition: ACCESS_REVOKED, severity: LOW },
  reuse_opened: { disposition: APPROVED, decision: 'Approved' },
  reused: { disposition: ALLOWED, action: ALLOWED, decision: 'Approved' },
  reuse_revoked: { disposition: ACCESS_REVOKED },
  reminded: { disposition: [14, 'Delayed'] },
  escalated: { disposition: [14, 'Delayed'], severity: LOW },
};

/**
 * `executed` and `failed` with a grant id also record that the grant was revoked, in the same step:
 * core writes no separate `revoked` entry for it.
 */
const GRANT_ENDED: Record<string, Outcome> = {
  executed: { ...OCSF_OUTCOMES.executed, disposition: ACCESS_REVOKED },
  failed: { ...OCSF_OUTCOMES.failed, disposition: ACCESS_REVOKED },
};

/** A single approver's vote that did not settle the request: approve is Approved/Allowed, deny is Rejected/Denied. */
const DECIDED: Record<'approve' | 'deny', Outcome> = {
  approve: { disposition: APPROVED, action: ALLOWED, decision: 'Approved' },
  deny: { disposition: [25, 'Rejected'], action: DENIED, decision: 'Denied' },
};

/**
 * One audit entry as an OCSF 1.8 API Activity event. `action` is the action the entry is about: its
 * own, or for an outcome that names the entry that issued its grant, that entry's (read a log in
 * order with core's `AuditActions`, as {@link toOcsf} does).
 */
export function toOcsfEvent(
  entry: AuditEntry,
  options: OcsfOptions = {},
  action: RedactedAction | null = entry.action,
): OcsfApiActivity {
  const outcome =
    entry.type === 'decided' && entry.outcome !== null
      ? DECIDED[entry.outcome]
      : ((entry.grantId === null ? undefined : GRANT_ENDED[entry.type]) ?? OCSF_OUTCOMES[entry.type] ?? {});
  const severity = outcome.severity ?? [1, 'Informational'];
  const event: OcsfApiActivity = {
    activity_id: 99,
    activity_name: entry.type,
    category_uid: 6,
    category_name: 'Application Activity',
    class_uid: 6003,
    class_name: 'API Activity',
    type_uid: 600399,
    type_name: 'API Activity: Other',
    time: entry.at,
    ...(entry.consumedAt === null ? {} : { start_time: entry.consumedAt, end_time: entry.at }),
    severity_id: severity[0],
    severity: severity[1],
    message: describeEntry(entry, action),
    metadata: {
      version: '1.8.0',
      product: {
        name: 'countersign',
        vendor_name: 'countersign',
        ...(options.productVersion === undefined ? {} : { version: options.productVersion }),
      },
      profiles: ['security_control'],
      uid: entry.hash,
      sequence: entry.seq,
      event_code: entry.type,
      log_name: options.logName ?? 'countersign.audit',
      ...(entry.requestId === null ? {} : { correlation_uid: entry.requestId }),
    },
    actor: {
      ...(entry.actor === null ? {} : { user: { uid: entry.actor, name: entry.actor } }),
      ...(entry.sessionId === null ? {} : { session: { uid: entry.sessionId } }),
      app_name: 'countersign',
    },
    api: {
      operation: action?.name ?? `countersign.${entry.type}`,
      service: { name: 'countersign' },
      ...(entry.requestId === null ? {} : { request: { uid: entry.requestId } }),
    },
    src_endpoint: { svc_name: entry.via ?? 'countersign' },
    is_alert: outcome.alert === true,
    unmapped: unmapped(entry, action),
  };
  const resource = action?.resource ?? null;
  if (resource !== null) event.resources = [{ name: resource, type: 'resource' }];
  if (entry.ruleId !== null) event.policy = { uid: entry.ruleId, name: entry.ruleId, is_applied: true };
  if (outcome.decision !== undefined) {
    event.authorizations = [
      {
        decision: outcome.decision,
        ...(entry.ruleId === null ? {} : { policy: { uid: entry.ruleId, name: entry.ruleId } }),
      },
    ];
  }
  if (outcome.disposition) [event.disposition_id, event.disposition] = outcome.disposition;
  if (outcome.action) [event.action_id, event.action] = outcome.action;
  if (outcome.status) [event.status_id, event.status] = outcome.status;
  if (entry.detail !== null) event.status_detail = entry.detail;
  return event;
}

/**
 * Audit entries as OCSF NDJSON, one line (ending in `\n`) per entry, produced as they are read:
 * pipe it to a file, a socket or a SIEM collector without holding the log in memory.
 */
export async function* toOcsf(
  entries: Iterable<AuditEntry> | AsyncIterable<AuditEntry>,
  options: OcsfOptions = {},
): AsyncGenerator<string> {
  const actions = new AuditActions();
  for await (const entry of entries) {
    yield `${JSON.stringify(toOcsfEvent(entry, options, actions.read(entry)))}\n`;
  }
}

/** The facts OCSF has no attribute for, under their countersign names; nulls left out. */
function unmapped(entry: AuditEntry, action: RedactedAction | null): Record<string, unknown> {
  const facts: Record<string, unknown> = {
    seq: entry.seq,
    hash: entry.hash,
    prevHash: entry.prevHash,
    grantId: entry.grantId,
    onBehalfOf: entry.onBehalfOf,
    reason: entry.reason,
    fingerprint: entry.fingerprint,
    approver: entry.approver,
    outcome: entry.outcome,
    comment: entry.comment,
    via: entry.via,
    grantEntry: entry.grantEntry ?? null,
    params: action?.params ?? null,
    paramsHash: action?.paramsHash ?? null,
    redactedPaths: action?.redactedPaths ?? null,
  };
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== null));
}

/** One readable sentence: who did what to which resource, and the outcome. */
export function describeEntry(entry: AuditEntry, action: RedactedAction | null = entry.action): string {
  const what = action
    ? `${action.name}${action.resource === null ? '' : ` on ${action.resource}`}`
    : 'a grant';
  const who = entry.actor ?? 'someone';
  const rule = entry.ruleId === null ? '' : ` (rule ${entry.ruleId})`;
  const request = entry.requestId === null ? '' : ` [${entry.requestId}]`;
  const detail = entry.detail === null ? '' : `: ${entry.detail}`;
  // The vote's approver and comment: on `decided`, and on the `approved` or `denied` vote that settled it.
  const by = entry.approver === null ? '' : ` by ${entry.approver}`;
  const said = entry.comment ? ` ("${entry.comment}")` : '';
  // A string switch: a type a newer core adds gets the general sentence at the end.
  switch (entry.type as string) {
    case 'requested':
      return `${who} asked to run ${what}${rule}${request}`;
    case 'delivered':
      return `request delivered via ${entry.via ?? 'a transport'}${request}`;
    case 'delivery_failed':
      return `delivery via ${entry.via ?? 'a transport'} failed${detail}${request}`;
    case 'decided':
      return `${entry.approver ?? 'an approver'} voted ${entry.outcome ?? 'on'} ${what}${said}${request}`;
    case 'refused':
      return `refused a decision by ${entry.approver ?? 'someone'} on ${what}${detail}${request}`;
    case 'approved':
      return `${what} for ${who} approved${by}${said}${rule}${request}${detail}`;
    case 'denied':
      return `${what} for ${who} denied${by}${said}${rule}${request}`;
    case 'expired':
      return `request for ${what} by ${who} expired${detail}${request}`;
    case 'cancelled':
      return `request for ${what} by ${who} cancelled${detail}${request}`;
    case 'allowed':
      return `${who} allowed to run ${what}${rule}`;
    case 'policy_denied':
      return `${who} denied ${what} by policy${rule}`;
    case 'granted':
      return `grant ${entry.grantId ?? ''} issued to ${who} for ${what}${request}`;
    case 'consumed':
      return `grant ${entry.grantId ?? ''} consumed for ${what}${request}`;
    case 'consume_refused':
      return `grant use refused for ${what}${detail}${request}`;
    case 'executed':
      return `${what} ran for ${who}${grantEnded(entry)}${request}`;
    case 'failed':
      return `${what} failed for ${who}${detail}${grantEnded(entry)}${request}`;
    case 'revoked':
      return `grant ${entry.grantId ?? ''} revoked${consumption(entry)}${detail}`;
    case 'credential_issued':
      return `credentials issued to ${who} for ${what}${request}`;
    case 'credential_revoked':
      return `credentials for ${what} revoked${request}`;
    case 'credential_reaped':
      return `credentials left by a stopped process revoked for ${what}${request}`;
    case 'reused':
      return `${who} ran ${what} on an earlier approval${request}${detail}`;
    default:
      return `${entry.type.replace(/_/g, ' ')}: ${what} for ${who}${detail}${request}`;
  }
}

/** On `executed` or `failed` with a grant: the same step revoked it, and when it was consumed, if it was. */
function grantEnded(entry: AuditEntry): string {
  return entry.grantId === null ? '' : `; grant ${entry.grantId} revoked${consumption(entry)}`;
}

/**
 * When the grant was consumed, if the entry says so. Nothing when `consumedAt` is null: that is
 * "never" only on the entry that ends the grant, and some ending entries cannot know it.
 */
function consumption(entry: AuditEntry): string {
  return entry.consumedAt === null ? '' : ` (consumed ${isoTime(entry.consumedAt)})`;
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
