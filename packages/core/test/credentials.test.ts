import { inspect } from 'node:util';
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, expectTypeOf, test } from 'vitest';
import {
  type CredentialBroker,
  type CredentialRequest,
  createCountersign,
  type Grant,
  isCountersignError,
} from '../src/index.js';
import type { Credentials } from '../src/model/grants.js';
import type { PolicyRule } from '../src/model/rule.js';
import { createTestClock, runCredentialBrokerConformance } from '../src/testing/index.js';
import {
  approveNextDelivery,
  attempt,
  CONTEXT,
  DIRECTORY,
  EXPORT,
  overrideStore,
  setup,
  tick,
} from './helpers.js';

/** A broker that keeps its credentials in memory, recording every call; `fail` makes a method throw. */
function fakeBroker(fail: { issue?: boolean; revoke?: boolean } = {}, now: () => number = Date.now) {
  let counter = 0;
  const live = new Map<string, { secret: string; expiresAt: number }>();
  const calls: string[] = [];
  const broker: CredentialBroker = {
    name: 'fake',
    checkPrivileges: (privileges) =>
      privileges
        .filter((privilege) => !/^READ [a-z]+$/.test(privilege))
        .map((p) => `unknown privilege "${p}"`),
    handle: (request: CredentialRequest) => `fake_${request.grantId}`,
    async issue(request, handle) {
      calls.push(`issue ${handle}`);
      // Half issued, then failing: revoke must still clean this up.
      live.set(handle, { secret: `s3cret-${++counter}-${'x'.repeat(12)}`, expiresAt: request.expiresAt });
      if (fail.issue) throw new Error('fake: the database refused CREATE ROLE');
      return { password: live.get(handle)!.secret };
    },
    async revoke(handle) {
      calls.push(`revoke ${handle}`);
      if (!handle.startsWith('fake_')) throw new Error(`fake: ${handle} is not mine`);
      if (fail.revoke) throw new Error('fake: revoke failed');
      live.delete(handle);
    },
  };
  const works = async (credentials: Credentials) =>
    [...live.values()].some((entry) => entry.secret === credentials.password && entry.expiresAt > now());
  return { broker, live, calls, works };
}

const READ_POLICY: PolicyRule[] = [
  {
    id: 'reads-with-role',
    match: { action: 'db.read*' },
    effect: 'allow',
    credentials: { broker: 'db', privileges: ['READ customers'] },
  },
  {
    id: 'exports-need-two',
    match: { action: 'db.export', resource: 'prod/*' },
    effect: 'require_approval',
    approvers: { groups: ['data-owners'] },
    quorum: 2,
    credentials: { broker: 'db', privileges: ['READ customers'] },
  },
];
const READ = { name: 'db.readTable', resource: 'prod/customers', params: { table: 'customers' } };

function withBroker(fail: { issue?: boolean; revoke?: boolean } = {}) {
  const clock = createTestClock();
  const fake = fakeBroker(fail, clock.now);
  const env = setup({ clock, policy: READ_POLICY, credentialBrokers: { db: fake.broker } });
  return { ...env, ...fake };
}

runCredentialBrokerConformance(
  { describe, test, expect },
  {
    create: () => {
      const { broker, works, live } = fakeBroker();
      return { broker, works, exists: async (handle) => live.has(handle) };
    },
    privileges: ['READ customers'],
    refused: ['WRITE customers', 'READ customers; DROP TABLE x', ''],
    foreignHandle: 'postgres',
  },
);

test('grant.credentials is typed as named strings or null, read-only', () => {
  expectTypeOf<Grant['credentials']>().toEqualTypeOf<Readonly<Record<string, string>> | null>();
  expectTypeOf<Credentials>().toEqualTypeOf<Readonly<Record<string, string>>>();
});

describe('credentials at creation', () => {
  const base = { store: createMemoryStore(), directory: DIRECTORY };
  const configError = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      expect(isCountersignError(error, 'invalid_config')).toBe(true);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  test('a rule naming an unknown broker is a ConfigError naming it', () => {
    const message = configError(() =>
      createCountersign({ ...base, policy: READ_POLICY, credentialBrokers: { pg: fakeBroker().broker } }),
    );
    expect(message).toContain('"db"');
    expect(message).toContain('known: pg');
  });

  test('privileges the broker refuses are a ConfigError naming the rule', () => {
    const policy: PolicyRule[] = [
      { ...READ_POLICY[0]!, credentials: { broker: 'db', privileges: ['READ customers', 'DROP customers'] } },
    ];
    const message = configError(() =>
      createCountersign({ ...base, policy, credentialBrokers: { db: fakeBroker().broker } }),
    );
    expect(message).toContain('rule "reads-with-role"');
    expect(message).toContain('DROP customers');
  });

  test("an unknown key in a rule's credentials, a deny rule with credentials and a non-broker are refused", () => {
    const db = fakeBroker().broker;
    const typo = [{ ...READ_POLICY[0]!, credentials: { broker: 'db', privilege: ['READ customers'] } }];
    expect(
      configError(() => createCountersign({ ...base, policy: typo as never, credentialBrokers: { db } })),
    ).toContain('privilege');
    const deny: PolicyRule[] = [{ ...READ_POLICY[0]!, effect: 'deny' }];
    expect(
      configError(() => createCountersign({ ...base, policy: deny, credentialBrokers: { db } })),
    ).toContain('denies');
    expect(
      configError(() =>
        createCountersign({
          ...base,
          policy: READ_POLICY,
          credentialBrokers: { db: { name: 'x' } as never },
        }),
      ),
    ).toContain('CredentialBroker');
  });
});

describe('credentials around a run', () => {
  test('issue failure fails closed: nothing runs, the grant and the half-made credential are revoked', async () => {
    const { cs, calls, live, auditTypes } = withBroker({ issue: true });
    const { outcome, ran } = attempt(cs, READ);
    const error = await outcome;
    expect(isCountersignError(error, 'credential_failed')).toBe(true);
    expect(ran()).toBe(false);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toBe(calls[0]!.replace('issue', 'revoke'));
    expect(live.size).toBe(0);
    expect(await auditTypes()).toEqual(['allowed', 'credential_issued', 'credential_revoked', 'failed']);
    await cs.close();
  });

  test('when the issue cannot be recorded, nothing is issued and nothing runs', async () => {
    const store = createMemoryStore();
    const failing = overrideStore(store, {
      appendAudit: async (drafts: { type: string }[]) => {
        if (drafts.some((draft) => draft.type === 'credential_issued')) throw new Error('disk full');
        return store.appendAudit(drafts as never);
      },
    });
    const fake = fakeBroker();
    const { cs } = setup({ store: failing, policy: READ_POLICY, credentialBrokers: { db: fake.broker } });
    const { outcome, ran } = attempt(cs, READ);
    expect(isCountersignError(await outcome, 'credential_failed')).toBe(true);
    expect(ran()).toBe(false);
    expect(fake.calls).toEqual([]);
    await cs.close();
  });

  test("run gets working credentials that are revoked once it returns, and never appear in the grant's JSON, inspection, events or audit", async () => {
    const { cs, works, live, auditTypes, clock } = withBroker();
    const seen: string[] = [];
    cs.on('credential_issued', (event) => seen.push(JSON.stringify(event)));
    cs.on('credential_revoked', (event) => seen.push(JSON.stringify(event)));
    let during: { credentials: Credentials | null; works: boolean; json: string; inspected: string } | null =
      null;
    const result = await cs.guard(
      {
        ...READ,
        run: async (grant: Grant) => {
          during = {
            credentials: grant.credentials,
            works: grant.credentials !== null && (await works(grant.credentials)),
            json: JSON.stringify(grant),
            inspected: inspect(grant),
          };
          return 'read';
        },
      },
      CONTEXT,
    );
    expect(result).toBe('read');
    const secret = during!.credentials!.password!;
    expect(during!.works).toBe(true);
    expect(during!.json).not.toContain(secret);
    expect(during!.inspected).not.toContain(secret);
    expect(during!.inspected).toContain('[REDACTED]');
    expect(live.size).toBe(0);
    expect(await works(during!.credentials!)).toBe(false);
    expect(await auditTypes()).toEqual(['allowed', 'credential_issued', 'credential_revoked', 'executed']);
    const exported = await cs.audit.export();
    expect(exported).not.toContain(secret);
    expect(seen).toHaveLength(2);
    for (const event of seen) expect(event).not.toContain(secret);
    const issued = (await cs.audit.entries()).find((entry) => entry.type === 'credential_issued')!;
    expect(JSON.parse(issued.detail!)).toMatchObject({ broker: 'db', privileges: ['READ customers'] });
    expect((await cs.audit.verify()).ok).toBe(true);
    // Revoked in time, so there is nothing for the sweeper once the grant expires.
    await clock.advance(61_000);
    expect(await cs.sweep()).toBe(0);
    await cs.close();
  });

  test('credentials are revoked when run throws and when the caller aborts', async () => {
    const { cs, live } = withBroker();
    const thrown = attempt(cs, {
      ...READ,
      run: () => {
        throw new Error('boom');
      },
    });
    expect(String(await thrown.outcome)).toContain('boom');
    expect(live.size).toBe(0);

    const controller = new AbortController();
    let aborted = false;
    const running = cs.guard(
      {
        ...READ,
        run: (grant) =>
          new Promise<string>((resolve) => {
            grant.signal.addEventListener('abort', () => {
              aborted = true;
              resolve('stopped');
            });
            controller.abort();
          }),
      },
      { ...CONTEXT, signal: controller.signal },
    );
    expect(await running).toBe('stopped');
    expect(aborted).toBe(true);
    expect(live.size).toBe(0);
    await cs.close();
  });

  test('a rule without credentials hands run null, and calls no broker', async () => {
    const fake = fakeBroker();
    const { cs } = setup({ credentialBrokers: { db: fake.broker } });
    const credentials = await cs.guard({ ...READ, run: (grant) => grant.credentials }, CONTEXT);
    expect(credentials).toBeNull();
    expect(fake.calls).toEqual([]);
    await cs.close();
  });

  test('an approved action runs with credentials; an issue failure settles its request failed', async () => {
    const ok = withBroker();
    const outcome = ok.cs.guard({ ...EXPORT, run: (grant) => grant.credentials !== null }, CONTEXT);
    await approveNextDelivery(ok.cs, ok.transport, ok.clock);
    expect(await outcome).toBe(true);
    expect(ok.live.size).toBe(0);
    await ok.cs.close();

    const bad = withBroker({ issue: true });
    const { outcome: failed, ran } = attempt(bad.cs, EXPORT);
    const requestId = await approveNextDelivery(bad.cs, bad.transport, bad.clock);
    expect(isCountersignError(await failed, 'credential_failed')).toBe(true);
    expect(ran()).toBe(false);
    expect((await bad.cs.getRequest(requestId))?.status).toBe('failed');
    await bad.cs.close();
  });
});

describe('reaping', () => {
  test('a credential its process never revoked is reaped by sweep once its grant expires, once', async () => {
    const store = createMemoryStore();
    const fake = fakeBroker();
    const a = setup({ store, policy: READ_POLICY, credentialBrokers: { db: fake.broker } });
    // The action hangs, as if its process had died mid-call: nothing in process A revokes.
    let release: () => void = () => {};
    const hung = a.cs.guard(
      { ...READ, run: () => new Promise<void>((resolve) => (release = resolve)) },
      CONTEXT,
    );
    await tick();
    await a.clock.flush();
    expect(fake.live.size).toBe(1);
    const [handle] = fake.live.keys();

    // Another process, sharing the store and the broker, sweeps: not yet, then after expiry.
    const b = setup({ store, clock: a.clock, policy: READ_POLICY, credentialBrokers: { db: fake.broker } });
    expect(await b.cs.sweep()).toBe(0);
    expect(fake.live.size).toBe(1);
    await a.clock.advance(61_000);
    // The expired grant, revoked and audited, and its credential, reaped.
    expect(await b.cs.sweep()).toBe(2);
    expect(fake.live.size).toBe(0);
    expect(fake.calls).toContain(`revoke ${handle}`);
    expect(await b.cs.sweep()).toBe(0);
    const reaped = (await b.cs.audit.entries()).filter((entry) => entry.type === 'credential_reaped');
    expect(reaped).toHaveLength(1);
    expect(JSON.parse(reaped[0]!.detail!)).toEqual({ broker: 'db', handle });

    release();
    await hung;
    expect((await b.cs.audit.verify()).ok).toBe(true);
    await a.cs.close();
  });

  test('a credential whose revoke failed stays issued and is reaped later; a sweeper without the broker leaves it', async () => {
    const store = createMemoryStore();
    const failing = fakeBroker({ revoke: true });
    const a = setup({ store, policy: READ_POLICY, credentialBrokers: { db: failing.broker } });
    expect(await a.cs.guard({ ...READ, run: () => 'done' }, CONTEXT)).toBe('done');
    expect(failing.live.size).toBe(1);
    await a.clock.advance(61_000);

    const other = fakeBroker();
    const stranger = setup({
      store,
      clock: a.clock,
      policy: [{ id: 'reads', match: { action: 'db.read*' }, effect: 'allow' }],
      credentialBrokers: { elsewhere: other.broker },
    });
    expect(await stranger.cs.sweep()).toBe(0);

    const working = fakeBroker();
    const b = setup({
      store,
      clock: a.clock,
      policy: READ_POLICY,
      credentialBrokers: { db: working.broker },
    });
    expect(await b.cs.sweep()).toBe(1);
    expect(working.calls).toEqual([`revoke ${[...failing.live.keys()][0]}`]);
    await a.cs.close();
  });
});
