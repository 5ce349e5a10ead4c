// The CredentialBroker contract: what a plugin minting per-grant credentials MUST guarantee, method by method.
import type { RedactedAction } from '../model/approval.js';
import type { Credentials } from '../model/grants.js';

/** What a broker issues credentials for: one grant and its rule's privileges. Nothing here is secret. */
export interface CredentialRequest {
  grantId: string;
  requestId: string | null;
  actor: string;
  sessionId: string;
  /** The action's fingerprint: what the grant is bound to. */
  fingerprint: string;
  ruleId: string;
  /** The action as audited (params redacted). */
  action: RedactedAction;
  /** The rule's privileges, as written and as accepted by {@link CredentialBroker.checkPrivileges}. */
  privileges: readonly string[];
  issuedAt: number;
  /** The grant's expiry (epoch ms): credentials MUST NOT be usable after it. */
  expiresAt: number;
}

/**
 * Mints credentials for one grant that do exactly what its rule names, and destroys them when the
 * grant's action settles. Plain object; create one with a factory such as
 * `createPostgresRoleBroker(options)` and pass it as `credentialBrokers: { pg: broker }`. Run
 * `runCredentialBrokerConformance` from `@countersign/core/testing` against yours.
 *
 * Core calls `handle`, records it durably in the audit chain (`credential_issued`), and only then
 * calls `issue`, so that whatever a process issued before it died can be found and revoked by
 * `cs.sweep()` (`credential_reaped`). Core calls `revoke` in the `finally` that revokes the grant.
 */
export interface CredentialBroker {
  /** Short name used in error messages, e.g. `'postgres-role'`. */
  readonly name: string;

  /**
   * Called once per rule at `createCountersign`: every problem with the rule's privileges, or an
   * empty list. MUST refuse any privilege it does not recognise in full (an allow-list, never a
   * deny-list): a refused one is a ConfigError, so nothing is ever issued for it.
   */
  checkPrivileges(privileges: readonly string[]): string[];

  /**
   * The non-secret name under which `issue` will create this grant's credentials (a role name, a
   * token id). MUST be synchronous and pure: computed from the request alone, different for
   * different grant ids, 1 to 256 printable characters, and containing nothing secret, since it is
   * audited.
   */
  handle(request: CredentialRequest): string;

  /**
   * Creates credentials under `handle` that allow exactly `request.privileges` and nothing more,
   * and that stop working by `request.expiresAt` by themselves, even if `revoke` is never called.
   * Resolves with a plain object of non-empty strings. When it rejects (even halfway through),
   * `revoke(handle)` MUST destroy whatever it did make; the rejection MUST NOT contain a secret.
   * Concurrent calls for different handles MUST NOT interfere.
   */
  issue(request: CredentialRequest, handle: string): Promise<Credentials>;

  /**
   * Destroys everything `issue` made under `handle` and ends what is still using it (sessions,
   * connections), so the credentials stop working at once; a self-contained credential verified
   * offline (a signed token) cannot be recalled, and MUST instead be short-lived and single use
   * at its resource. MUST be idempotent: resolves for a
   * handle already revoked, never issued, or half issued, including from another process after a
   * crash; concurrent calls for one handle all resolve. MUST reject, destroying nothing, a handle
   * this broker could not have made.
   */
  revoke(handle: string): Promise<void>;

  /** Releases what the broker opened itself (a pool it created). Idempotent. Core never calls it. */
  close?(): Promise<void>;
}

/** A rule's credentials, resolved: the broker that mints them and what they may do. */
export interface CredentialPlan {
  /** The broker's key in `credentialBrokers`: what the audit chain records and the reaper looks up. */
  brokerKey: string;
  broker: CredentialBroker;
  privileges: readonly string[];
}
