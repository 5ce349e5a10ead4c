// runCredentialBrokerConformance(): what every credential broker must do, as tests any runner can run.

import type { CredentialBroker, CredentialRequest } from '../contracts/credential-broker.js';
import { newGrantId, sha256Hex } from '../lib/ids.js';
import type { Credentials } from '../model/grants.js';
import type { ConformanceRunner } from './runner.js';

/** What the suite needs to observe a broker's credentials from the outside. */
export interface CredentialBrokerHarness {
  broker: CredentialBroker;
  /**
   * Whether these credentials work right now for what the privileges allow (connect and read the
   * granted table, verify the token): true, or false when refused.
   */
  works(credentials: Credentials): Promise<boolean>;
  /** Whether anything the broker made under `handle` still exists (a role, a session). */
  exists?(handle: string): Promise<boolean>;
  /** Stops what the harness started and removes what it made. */
  cleanup?(): Promise<void> | void;
}

export interface CredentialBrokerConformanceOptions {
  /** A fresh harness for each test. */
  create(): Promise<CredentialBrokerHarness> | CredentialBrokerHarness;
  /** Privileges the broker accepts, which `works` exercises. */
  privileges: readonly string[];
  /** Privileges the broker must refuse at creation, each on its own. */
  refused: readonly string[];
  /** A handle this broker could not have made (e.g. the administrator's role), which revoke must refuse. */
  foreignHandle?: string | undefined;
  /** Test names to skip, each with the reason. */
  skip?: Record<string, string> | undefined;
}

/** A request for a fresh grant, live for a minute by the system clock. */
export function sampleCredentialRequest(
  privileges: readonly string[],
  overrides: Partial<CredentialRequest> = {},
): CredentialRequest {
  const now = Date.now();
  return {
    grantId: newGrantId(),
    requestId: null,
    actor: 'agent:report-bot',
    sessionId: 'sess_42',
    fingerprint: sha256Hex('fingerprint'),
    ruleId: 'exports-need-two',
    action: {
      name: 'db.export',
      resource: 'prod/customers',
      params: { table: 'customers' },
      paramsHash: sha256Hex('params'),
      redactedPaths: [],
    },
    privileges,
    issuedAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const PRINTABLE = /^[^\u0000-\u001f\u007f]{1,256}$/;

/**
 * The contract every CredentialBroker must meet. Call it inside a test file:
 * `runCredentialBrokerConformance({ describe, test, expect }, { create, privileges, refused })`.
 */
export function runCredentialBrokerConformance(
  runner: ConformanceRunner,
  options: CredentialBrokerConformanceOptions,
): void {
  const { describe, expect } = runner;
  const test = (name: string, body: (harness: CredentialBrokerHarness) => Promise<void>) => {
    if (options.skip?.[name]) return;
    runner.test(name, async () => {
      const harness = await options.create();
      try {
        await body(harness);
      } finally {
        await harness.cleanup?.();
      }
    });
  };
  const request = (overrides: Partial<CredentialRequest> = {}) =>
    sampleCredentialRequest(options.privileges, overrides);
  const issue = async (harness: CredentialBrokerHarness, overrides: Partial<CredentialRequest> = {}) => {
    const made = request(overrides);
    const handle = harness.broker.handle(made);
    return { request: made, handle, credentials: await harness.broker.issue(made, handle) };
  };

  describe('credential broker conformance', () => {
    test('refuses every privilege it does not know, without throwing', async ({ broker }) => {
      for (const privilege of options.refused) {
        const problems = broker.checkPrivileges([...options.privileges, privilege]);
        expect(Array.isArray(problems)).toBe(true);
        expect(problems.length).toBeGreaterThan(0);
      }
    });

    test('accepts the privileges it knows', async ({ broker }) => {
      expect(broker.checkPrivileges(options.privileges)).toEqual([]);
    });

    test('a handle is pure, printable and different for every grant', async ({ broker }) => {
      const first = request();
      const handle = broker.handle(first);
      expect(typeof handle).toBe('string');
      expect(PRINTABLE.test(handle)).toBe(true);
      expect(broker.handle({ ...first })).toBe(handle);
      expect(broker.handle(request())).not.toBe(handle);
    });

    test('issued credentials are non-empty strings that work, and the handle holds none of them', async (harness) => {
      const { handle, credentials } = await issue(harness);
      try {
        const values = Object.values(credentials);
        expect(values.length).toBeGreaterThan(0);
        for (const value of values) {
          expect(typeof value).toBe('string');
          expect(value.length).toBeGreaterThan(0);
          if (value !== handle && value.length >= 8) expect(handle.includes(value)).toBe(false);
        }
        expect(await harness.works(credentials)).toBe(true);
      } finally {
        await harness.broker.revoke(handle);
      }
    });

    test('revoked credentials stop working and leave nothing behind', async (harness) => {
      const { handle, credentials } = await issue(harness);
      await harness.broker.revoke(handle);
      expect(await harness.works(credentials)).toBe(false);
      if (harness.exists) expect(await harness.exists(handle)).toBe(false);
    });

    test('revoke is idempotent: again, concurrently, and for a handle never issued', async (harness) => {
      const { handle } = await issue(harness);
      await harness.broker.revoke(handle);
      await harness.broker.revoke(handle);
      const never = harness.broker.handle(request());
      const results = await Promise.allSettled([
        ...Array.from({ length: 5 }, () => harness.broker.revoke(handle)),
        harness.broker.revoke(never),
        harness.broker.revoke(never),
      ]);
      expect(results.map((result) => result.status)).toEqual(Array(7).fill('fulfilled'));
    });

    const foreign = options.foreignHandle;
    if (foreign !== undefined) {
      test('a handle it could not have made is refused', async ({ broker }) => {
        let refused = false;
        try {
          await broker.revoke(foreign);
        } catch {
          refused = true;
        }
        expect(refused).toBe(true);
      });
    }

    test('two grants issued at once get two credentials; revoking one leaves the other working', async (harness) => {
      const [a, b] = await Promise.all([issue(harness), issue(harness)]);
      try {
        expect(a.handle).not.toBe(b.handle);
        expect(a.credentials).not.toEqual(b.credentials);
        expect(await harness.works(a.credentials)).toBe(true);
        expect(await harness.works(b.credentials)).toBe(true);
        await harness.broker.revoke(a.handle);
        expect(await harness.works(b.credentials)).toBe(true);
      } finally {
        await harness.broker.revoke(a.handle);
        await harness.broker.revoke(b.handle);
      }
    });

    test('a grant that has already expired gets no working credentials', async (harness) => {
      const now = Date.now();
      const expired = request({ issuedAt: now - 120_000, expiresAt: now - 60_000 });
      const handle = harness.broker.handle(expired);
      try {
        const credentials = await harness.broker.issue(expired, handle).catch(() => null);
        if (credentials !== null) expect(await harness.works(credentials)).toBe(false);
      } finally {
        await harness.broker.revoke(handle);
      }
    });
  });
}
