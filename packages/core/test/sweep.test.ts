import { createHash } from 'node:crypto';
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  createCountersign,
  EXPIRED_REASON,
  type ListGrantsQuery,
  lapse,
  STRANDED_REASON,
  type Store,
  UNENDED_GRANT_REASON,
  UNUSED_APPROVAL_REASON,
  verifyAuditLog,
} from '../src/index.js';
import { createRecordingTransport, createTestClock, sampleRequest } from '../src/testing/index.js';
import { approveNextDelivery, CONTEXT, DIRECTORY, EXPORT, overrideStore, POLICY } from './helpers.js';

/** The export rule's grant lifetime. */
const GRANT_TTL = 60_000;
/** The export rule's requestTtl: an approval can be claimed until then. */
const REQUEST_TTL = 15 * 60_000;

/**
 * Two processes sharing one store: `agent` runs guarded calls and stops whenever a test says so
 * (from then on nothing of it runs); `sweeper` only sweeps and decides.
 */
function twoProcesses(store: Store = createMemoryStore()) {
  const clock = createTestClock();
  const transport = createRecordingTransport();
  const options = { store, directory: DIRECTORY, policy: POLICY, clock };
  const agent = createCountersign({ ...options, transports: [transport] });
  const sweeper = createCountersign({ ...options, transports: [createRecordingTransport()] });
  const tail = async (n: number) =>
    (await sweeper.audit.entries()).slice(-n).map(({ type, detail }) => [type, detail]);
  return { store, clock, transport, agent, sweeper, tail };
}

describe('sweep() closes what a stopped process left behind', () => {
  test('an action whose process stopped mid-run: failed once its grant lifetime has certainly passed, grant revoked, both audited', async () => {
    const { store, clock, transport, agent, sweeper, tail } = twoProcesses();
    let token = '';
    // The action starts and its process stops: it never settles.
    void agent.guard(
      {
        ...EXPORT,
        run: (grant) => {
          token = grant.token;
          return new Promise<never>(() => {});
        },
      },
      CONTEXT,
    );
    const id = await approveNextDelivery(agent, transport, clock);
    await clock.flush();
    expect(token).not.toBe('');
    const tokenHash = createHash('sha256').update(token).digest('hex');

    await clock.advance(GRANT_TTL - 1);
    expect(await sweeper.sweep()).toBe(0);
    expect((await store.getGrantByTokenHash(tokenHash))?.revokedAt).toBeNull();
    // Its grant has expired: the sweeper revokes it and records that it ended unrecorded.
    await clock.advance(1);
    expect(await sweeper.sweep()).toBe(1);
    const revokedAt = clock.now();
    expect((await store.getGrantByTokenHash(tokenHash))?.revokedAt).toBe(revokedAt);
    expect(await tail(1)).toEqual([['revoked', UNENDED_GRANT_REASON]]);

    // Claimed at once, so its grant expired after GRANT_TTL; a claim as late as the claim deadline
    // (the request's deadline) would hold a grant until GRANT_TTL after it, and a sweeper cannot
    // tell which it was: the request stays approved until then.
    await clock.advance(REQUEST_TTL - 1);
    expect(await sweeper.sweep()).toBe(0);
    expect((await sweeper.getRequest(id))?.status).toBe('approved');

    await clock.advance(1);
    expect(await sweeper.sweep()).toBe(1);
    expect(await sweeper.getRequest(id)).toMatchObject({ status: 'failed', closedReason: STRANDED_REASON });
    expect((await store.getGrantByTokenHash(tokenHash))?.revokedAt).toBe(revokedAt);
    expect(await tail(2)).toEqual([
      ['revoked', UNENDED_GRANT_REASON],
      ['failed', STRANDED_REASON],
    ]);
    expect(await sweeper.audit.verify()).toMatchObject({ ok: true });
    expect(await sweeper.sweep()).toBe(0);
  });

  test('a restarted agent re-attaching to a stranded approval is told it already started, and nothing runs', async () => {
    const { store, clock, transport, agent, sweeper } = twoProcesses();
    const context = { ...CONTEXT, idempotencyKey: 'call_7' };
    void agent.guard({ ...EXPORT, run: () => new Promise<never>(() => {}) }, context);
    await approveNextDelivery(agent, transport, clock);
    await clock.flush();
    await clock.advance(REQUEST_TTL + GRANT_TTL);
    await sweeper.sweep();

    const restarted = createCountersign({
      store,
      directory: DIRECTORY,
      policy: POLICY,
      clock,
      transports: [createRecordingTransport()],
    });
    let ran = false;
    const again = restarted.guard({ ...EXPORT, run: () => (ran = true) }, context);
    await expect(again).rejects.toMatchObject({ code: 'already_started' });
    expect(ran).toBe(false);
  });

  test('a store without revokeGrantAndUpdateRequest gets the same entries, in the same order', async () => {
    const { clock, transport, agent, sweeper, tail } = twoProcesses(
      overrideStore(createMemoryStore(), { revokeGrantAndUpdateRequest: undefined }),
    );
    void agent.guard({ ...EXPORT, run: () => new Promise<never>(() => {}) }, CONTEXT);
    const id = await approveNextDelivery(agent, transport, clock);
    await clock.flush();
    await clock.advance(REQUEST_TTL + GRANT_TTL);
    // Between them, the grant and the request are each closed once.
    const sweeps = await Promise.all([sweeper.sweep(), sweeper.sweep()]);
    expect(sweeps[0]! + sweeps[1]!).toBe(2);
    expect((await sweeper.getRequest(id))?.status).toBe('failed');
    expect(await tail(3)).toEqual([
      ['granted', expect.any(String)],
      ['revoked', UNENDED_GRANT_REASON],
      ['failed', STRANDED_REASON],
    ]);
  });

  test('an action that outlives its grant and the sweep: its late outcome is refused, not recorded', async () => {
    const { clock, transport, agent, sweeper, tail } = twoProcesses();
    let finish: (value: string) => void = () => {};
    const outcome = agent
      .guard({ ...EXPORT, run: () => new Promise<string>((resolve) => (finish = resolve)) }, CONTEXT)
      .catch((error: unknown) => error);
    const id = await approveNextDelivery(agent, transport, clock);
    await clock.flush();
    await clock.advance(REQUEST_TTL + GRANT_TTL);
    // The grant and the request.
    expect(await sweeper.sweep()).toBe(2);

    finish('done');
    expect(await outcome).toMatchObject({ code: 'outcome_not_recorded' });
    expect((await sweeper.getRequest(id))?.status).toBe('failed');
    expect(await tail(1)).toEqual([['failed', STRANDED_REASON]]);
  });

  test('an approval whose process stopped before claiming it: expired once its claim deadline has passed', async () => {
    const { clock, transport, agent, sweeper, tail } = twoProcesses();
    const waiting = agent.guard({ ...EXPORT, run: () => 'ran' }, CONTEXT).catch((error: unknown) => error);
    const { id } = await transport.nextDelivery();
    await agent.close();
    expect(await waiting).toMatchObject({ code: 'closed' });
    await sweeper.decide(id, { approver: 'user:bob', outcome: 'approve' });
    await sweeper.decide(id, { approver: 'user:carol', outcome: 'approve' });

    await clock.advance(REQUEST_TTL - 1);
    expect(await sweeper.sweep()).toBe(0);
    await clock.advance(1);
    expect(await sweeper.sweep()).toBe(1);
    expect(await sweeper.getRequest(id)).toMatchObject({
      status: 'expired',
      closedReason: UNUSED_APPROVAL_REASON,
      grantId: null,
    });
    expect(await tail(1)).toEqual([['expired', UNUSED_APPROVAL_REASON]]);
  });
});

describe('lapse(), the rule every sweeper applies', () => {
  const at = 1_000_000;

  test('nothing lapses before its time, and a settled request never does', () => {
    expect(lapse(sampleRequest({ expiresAt: at + 1 }), at)).toBeNull();
    const decidedAt = at - GRANT_TTL + 1;
    const approved = { status: 'approved' as const, decidedAt, expiresAt: decidedAt, grantTtlMs: GRANT_TTL };
    expect(lapse(sampleRequest(approved), at)).toBeNull();
    // Decided long ago, but the request's own deadline is still ahead: the approval outlives the call.
    expect(
      lapse(sampleRequest({ ...approved, decidedAt: at - 10 * GRANT_TTL, expiresAt: at + 1 }), at),
    ).toBeNull();
    const claimedAt = at - 2 * GRANT_TTL + 1;
    const claimed = { ...approved, decidedAt: claimedAt, expiresAt: claimedAt, grantId: 'grt_1' };
    expect(lapse(sampleRequest(claimed), at)).toBeNull();
    for (const status of ['denied', 'expired', 'cancelled', 'executed', 'failed'] as const) {
      expect(lapse(sampleRequest({ status, expiresAt: 0, decidedAt: 0 }), at)).toBeNull();
    }
  });

  test('a pending request expires at its deadline, with no grant to revoke', () => {
    const request = sampleRequest({ expiresAt: at });
    expect(lapse(request, at)).toEqual({
      next: { ...request, version: 2, status: 'expired', closedReason: EXPIRED_REASON },
      audit: [
        expect.objectContaining({ type: 'expired', at, requestId: request.id, detail: EXPIRED_REASON }),
      ],
      revoke: null,
    });
  });

  test('a claimed approval fails with its outcome unknown and its grant revoked', () => {
    const request = sampleRequest({
      status: 'approved',
      decidedAt: at - 2 * GRANT_TTL,
      expiresAt: at - 2 * GRANT_TTL,
      grantTtlMs: GRANT_TTL,
      grantId: 'grt_1',
    });
    const change = lapse(request, at);
    expect(change?.next).toMatchObject({ status: 'failed', closedReason: STRANDED_REASON, version: 2 });
    expect(change?.revoke).toEqual({
      id: 'grt_1',
      audit: [expect.objectContaining({ type: 'revoked', grantId: 'grt_1', detail: STRANDED_REASON })],
    });
    expect(change?.audit).toEqual([
      expect.objectContaining({ type: 'failed', grantId: 'grt_1', detail: STRANDED_REASON }),
    ]);
  });
});

test('verifyAuditLog accepts what a sweep wrote', async () => {
  const { clock, transport, agent, sweeper } = twoProcesses();
  void agent.guard({ ...EXPORT, run: () => new Promise<never>(() => {}) }, CONTEXT);
  await approveNextDelivery(agent, transport, clock);
  await clock.flush();
  await clock.advance(REQUEST_TTL + GRANT_TTL);
  await sweeper.sweep();
  expect(verifyAuditLog(await sweeper.audit.export())).toMatchObject({ ok: true });
});

describe('sweep() ends the grants of allowed calls whose process stopped', () => {
  /** An hour: past any grant lifetime in these policies. */
  const LATER = 60 * 60_000;
  const READ = { name: 'db.read', resource: 'prod/customers', params: { table: 'customers' } };

  test('consumed, then the process stopped: revoked once expired, with the consumption time, audited once', async () => {
    const { store, clock, agent, sweeper, tail } = twoProcesses();
    let token = '';
    let consumedAt = 0;
    void agent.guard(
      {
        ...READ,
        run: async (grant) => {
          token = grant.token;
          consumedAt = clock.now();
          await agent.grants.consume(grant.token, { ...READ, sessionId: CONTEXT.sessionId });
          return new Promise<never>(() => {});
        },
      },
      CONTEXT,
    );
    await clock.flush();
    // A consumption through the running process writes no entry: only the issue is in the chain so far.
    expect((await sweeper.audit.entries()).map((e) => e.type)).toEqual(['allowed']);
    const tokenHash = createHash('sha256').update(token).digest('hex');
    expect(await sweeper.sweep()).toBe(0);
    await clock.advance(LATER);
    expect(await sweeper.sweep()).toBe(1);
    expect((await store.getGrantByTokenHash(tokenHash))?.revokedAt).toBe(clock.now());
    const [revoked] = (await sweeper.audit.entries()).slice(-1);
    expect(revoked).toMatchObject({ type: 'revoked', detail: UNENDED_GRANT_REASON, consumedAt });
    expect(await sweeper.sweep()).toBe(0);
    expect(await sweeper.audit.verify()).toMatchObject({ ok: true });
    expect(await tail(2)).toEqual([
      ['allowed', expect.any(String)],
      ['revoked', UNENDED_GRANT_REASON],
    ]);
  });

  test('never consumed: revoked with consumedAt null', async () => {
    const { clock, agent, sweeper } = twoProcesses();
    void agent.guard({ ...READ, run: () => new Promise<never>(() => {}) }, CONTEXT);
    await clock.flush();
    await clock.advance(LATER);
    expect(await sweeper.sweep()).toBe(1);
    const [revoked] = (await sweeper.audit.entries()).slice(-1);
    expect(revoked).toMatchObject({ type: 'revoked', consumedAt: null });
  });

  test('a long action that outlives its grant and then ends: the sweeper revokes, the outcome is still recorded', async () => {
    const { clock, agent, sweeper } = twoProcesses();
    let finish: (value: string) => void = () => {};
    const run = agent.guard(
      { ...READ, run: () => new Promise<string>((resolve) => (finish = resolve)) },
      CONTEXT,
    );
    await clock.flush();
    await clock.advance(LATER);
    expect(await sweeper.sweep()).toBe(1);
    finish('done');
    expect(await run).toBe('done');
    expect((await sweeper.audit.entries()).map((e) => e.type)).toEqual(['allowed', 'revoked', 'executed']);
    expect(await sweeper.audit.verify()).toMatchObject({ ok: true });
  });

  test('a consumption that lands between the listing and the revocation (clocks apart) is still recorded', async () => {
    const base = createMemoryStore();
    let token = '';
    // The listing is read first; then a lagging process consumes before the revocation lands.
    const store = overrideStore(base, {
      listUnrevokedGrants: async (query: ListGrantsQuery) => {
        const listed = await base.listUnrevokedGrants!(query);
        const [grant] = listed;
        if (grant !== undefined) {
          await base.consumeGrant(
            {
              tokenHash: createHash('sha256').update(token).digest('hex'),
              fingerprint: grant.fingerprint,
              sessionId: grant.sessionId,
              now: grant.expiresAt - 1,
            },
            [],
          );
        }
        return listed;
      },
    });
    const { clock, agent, sweeper } = twoProcesses(store);
    void agent.guard(
      {
        ...READ,
        run: (grant) => {
          token = grant.token;
          return new Promise<never>(() => {});
        },
      },
      CONTEXT,
    );
    await clock.flush();
    await clock.advance(LATER);
    expect(await sweeper.sweep()).toBe(1);
    const tail = (await sweeper.audit.entries()).slice(-2);
    expect(tail.map((e) => [e.type, e.consumedAt])).toEqual([
      ['revoked', null],
      ['consumed', expect.any(Number)],
    ]);
    expect(await sweeper.audit.verify()).toMatchObject({ ok: true });
  });

  test('a store whose listUnrevokedGrants answers garbage fails the sweep closed', async () => {
    const store = overrideStore(createMemoryStore(), { listUnrevokedGrants: async () => ({ rows: [] }) });
    const { sweeper } = twoProcesses(store);
    await expect(sweeper.sweep()).rejects.toMatchObject({ code: 'corrupt_record' });
  });
});
