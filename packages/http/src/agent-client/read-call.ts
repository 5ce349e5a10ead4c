// Checks an answer of `/v1/calls` member by member: a body that is not a call is an error, never an approval.
import type { AgentCall, CallStatus, ClaimedGrant } from '../agent-api/call.js';

const STATUSES: ReadonlySet<string> = new Set<CallStatus>([
  'allowed',
  'pending',
  'approved',
  'denied',
  'running',
  'executed',
  'failed',
]);

// Identifiers are shown on terminals and put in URLs: printable ASCII only.
const ID = /^[\x21-\x7e]{1,256}$/;

type Check = (value: unknown) => string | null;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const id: Check = (v) => (typeof v === 'string' && ID.test(v) ? null : 'an identifier');
const text: Check = (v) => (typeof v === 'string' ? null : 'a string');
const time: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'a time in ms');
const count: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? null : 'a count');
const orNull =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v);

const approvals: Check = (v) => {
  if (!isObject(v)) return 'an object';
  return count(v.count) ?? count(v.required);
};

const credentials: Check = (v) => {
  if (!isObject(v)) return 'an object';
  return Object.values(v).every((value) => typeof value === 'string') ? null : 'strings by name';
};

const grant: Check = (v) => {
  if (!isObject(v)) return 'an object';
  const checks: Record<keyof ClaimedGrant, Check> = {
    id,
    token: (t) => (typeof t === 'string' && t.length > 0 ? null : 'a token'),
    expiresAt: time,
    credentials: orNull(credentials),
  };
  for (const [key, check] of Object.entries(checks)) {
    const problem = check(v[key]);
    if (problem !== null) return `${key} must be ${problem}`;
  }
  return null;
};

// One check per member of AgentCall: the type makes a member added there a compile error here.
const CALL: Record<keyof AgentCall, Check> = {
  callId: id,
  status: (v) => (typeof v === 'string' && STATUSES.has(v) ? null : 'a call status'),
  requestId: orNull(id),
  expiresAt: orNull(time),
  approvals: orNull(approvals),
  code: orNull(id),
  message: text,
  approvalUrl: orNull((v) => (typeof v === 'string' && /^https?:\/\/[\x21-\x7e]+$/.test(v) ? null : 'a URL')),
  grant: orNull(grant),
};

/**
 * The call in `body`, or a description of what is wrong with it. Members the client does not know
 * are ignored, so that a newer server's additions do not break older clients.
 */
export function readCall(body: unknown): AgentCall | string {
  if (!isObject(body)) return 'the answer is not a JSON object';
  for (const [key, check] of Object.entries(CALL)) {
    const problem = check(body[key]);
    if (problem !== null) return `${key} must be ${problem}`;
  }
  const call = body as unknown as AgentCall;
  const grantOf = call.grant;
  return {
    callId: call.callId,
    status: call.status,
    requestId: call.requestId,
    expiresAt: call.expiresAt,
    approvals:
      call.approvals === null ? null : { count: call.approvals.count, required: call.approvals.required },
    code: call.code,
    message: call.message,
    approvalUrl: call.approvalUrl,
    grant:
      grantOf === null
        ? null
        : {
            id: grantOf.id,
            token: grantOf.token,
            expiresAt: grantOf.expiresAt,
            credentials: grantOf.credentials === null ? null : { ...grantOf.credentials },
          },
  };
}
