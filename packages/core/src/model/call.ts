// The call an agent asks to make: the action and its context as guard() and open() take them, the checked
// call every later step works on, and what open() reports.
import type { JsonObject, JsonValue } from '../lib/canonical-json.js';
import type { RedactedAction } from './approval.js';
import type { Grant } from './grants.js';
import type { Risk } from './risk.js';

/** The privileged call to guard. `run` is called at most once, and only with a live grant. */
export interface GuardAction<T> {
  /** Action name the policy matches, e.g. `'db.export'`. */
  name: string;
  /** What the action touches, e.g. `'prod/customers'`. */
  resource?: string | null | undefined;
  /** The exact arguments; bound into the fingerprint and shown (redacted) to approvers. */
  params?: Record<string, unknown> | undefined;
  /** Risk shown to approvers when the matching rule sets none. Default `'medium'`. */
  risk?: Risk | undefined;
  /** `narrowed` is set when an approver approved narrower params (rule `editable`): use them. */
  run: (grant: Grant, narrowed?: Narrowed) => T | Promise<T>;
}

/**
 * Who is asking, for whom and why. Identities, `sessionId` and `idempotencyKey` are 1–256
 * characters without control or bidirectional characters; `reason` is 1–2,000 after trimming.
 */
export interface GuardContext {
  /** The agent or pipeline identity, e.g. `'agent:report-bot'`. */
  actor: string;
  /** The person the agent acts for; they cannot approve either. */
  onBehalfOf?: string | null | undefined;
  /**
   * The agent's stated reason, shown to approvers as unverified. A framework without one can pass
   * the user's last message or the tool call's description: something a person can judge.
   */
  reason: string;
  /**
   * Grants are bound to this session. Use the framework's thread, run or conversation id; without
   * one, one id per agent task (never one constant for every task: it is what a grant binds).
   */
  sessionId: string;
  /**
   * Re-attach to the same request after a restart or a pause instead of asking again. Scoped to
   * the actor and the session, so a framework's tool-call ids (`call_0`) never collide across sessions.
   */
  idempotencyKey?: string | null | undefined;
  /** Resume this request (from `open()` or an `ApprovalPendingError`); it must be for this exact call. */
  requestId?: string | null | undefined;
  /**
   * Default `true`: wait for the decision. `false`: a request that is still pending rejects with
   * `ApprovalPendingError` (after delivery) instead; call again later to run it once approved.
   */
  wait?: boolean | undefined;
  /**
   * What aborting `signal` does to a pending request: `'cancel'` (default) cancels it for good;
   * `'detach'` stops waiting, rejects with `ApprovalPendingError` and leaves it pending to resume.
   * During `run`, aborting always aborts `grant.signal`.
   */
  onAbort?: 'cancel' | 'detach' | undefined;
  /** Aborting stops waiting (see `onAbort`); during `run` it aborts `grant.signal`. */
  signal?: AbortSignal | undefined;
}

/** What `run` is told when an approver narrowed the call: the params it must use, and what changed. */
export interface Narrowed {
  /** The call's params with the approver's edits: the grant is bound to exactly these. */
  params: JsonObject;
  /** Each edited path with the value asked for and the value approved. */
  changes: readonly { path: string; asked: JsonValue; approved: JsonValue }[];
}

/** What `open()` found, when it did not throw: the call is allowed, pending or approved. */
export type Opened =
  | { status: 'allowed'; ruleId: string | null }
  | { status: 'pending'; requestId: string; expiresAt: number; ruleId: string }
  | { status: 'approved'; requestId: string; ruleId: string };

/** How a call goes through the guard path: run it, or only open its request (`open()`). */
export type Mode = 'run' | 'open';

/** A call's checked input, copied once: changing the caller's objects afterwards changes nothing. */
export interface Prepared {
  name: string;
  resource: string | null;
  /** The checked copy of the params, unredacted: what policy conditions see. */
  params: JsonObject;
  fingerprint: string;
  /**
   * The canonical JSON whose hash is `fingerprint`, with the fingerprint it hashes to: a copy of a
   * Prepared that changed `fingerprint` but not this no longer matches, so it is never trusted stale.
   */
  identity: { text: string; fingerprint: string };
  action: RedactedAction;
  // The caller's context, copied member by member: changing it after the call changes nothing.
  actor: string;
  onBehalfOf: string | null;
  sessionId: string;
  /** Scoped to the session (see {@link scopedKey}). */
  idempotencyKey: string | null;
  requestId: string | null;
  signal: AbortSignal | undefined;
  reason: string;
  risk: Risk | undefined;
  run: (grant: Grant) => unknown;
  wait: boolean;
  detach: boolean;
  mode: Mode;
}
