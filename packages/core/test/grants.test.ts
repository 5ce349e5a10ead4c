import { inspect } from 'node:util';
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  type AuditDraft,
  type ConsumeGrantMatch,
  createCountersign,
  type Grant,
  type GrantRefusedError,
} from '../src/index.js';
import { CONTEXT, EXPORT, overrideStore, setup } from './helpers.js';

describe('grants', () => {
  test('the allow path issues a grant, runs once and revokes it', async () => {
    const { cs, auditTypes, clock } = setup();
    let seen: Grant | null = null;
    const result = await cs.guard(
      {
        name: 'db.read',
        params: { id: 7 },
        run: (grant) => {
          seen = grant;
          expect(grant.signal.aborted).toBe(false);
          return 'rows';
        },
      },
      CONTEXT,
    );
    expect(result).toBe('rows');
    expect(seen!.signal.aborted).toBe(true);
    // One entry when the grant is issued, one with the outcome and the revocation.
    expect(await auditTypes()).toEqual(['allowed', 'executed']);
    const [allowed, executed] = await cs.audit.entries();
    expect(executed).toMatchObject({ grantId: allowed!.grantId, consumedAt: null, detail: null });
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a consumption through the running process is recorded, with its time, on the entry that ends the grant', async () => {
    const { cs, auditTypes, clock } = setup();
    let consumedAt = 0;
    await cs.guard(
      {
        name: 'db.read',
        params: { id: 7 },
        run: async (grant) => {
          await clock.advance(5);
          consumedAt = clock.now();
          await cs.grants.consume(grant.token, { name: 'db.read', params: { id: 7 }, sessionId: 'sess_42' });
          await clock.advance(5);
        },
      },
      CONTEXT,
    );
    expect(await auditTypes()).toEqual(['allowed', 'executed']);
    const executed = (await cs.audit.entries())[1]!;
    expect(executed.consumedAt).toBe(consumedAt);
    expect(executed.at).toBe(consumedAt + 5);
  });

  test('a consumption still in flight when the action returns is waited for and recorded', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const base = createMemoryStore();
    const store = overrideStore(base, {
      consumeGrant: async (match: ConsumeGrantMatch, audit: AuditDraft[]) => {
        await gate;
        return base.consumeGrant(match, audit);
      },
    });
    const { cs } = setup({ store });
    let late: Promise<unknown> = Promise.resolve();
    const run = cs.guard(
      {
        name: 'db.read',
        run: (grant) => {
          // Not awaited: the action returns while its consumption is in the store.
          late = cs.grants.consume(grant.token, { name: 'db.read', sessionId: 'sess_42' });
        },
      },
      CONTEXT,
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    await run;
    await late;
    const executed = (await cs.audit.entries()).find((entry) => entry.type === 'executed');
    expect(executed?.consumedAt).not.toBeNull();
  });

  test('a consumption whose store call failed after it applied: the end reads the grant back and records it', async () => {
    const base = createMemoryStore();
    const store = overrideStore(base, {
      consumeGrant: async (match: ConsumeGrantMatch, audit: AuditDraft[]) => {
        await base.consumeGrant(match, audit);
        throw new Error('connection reset after commit');
      },
    });
    const { cs } = setup({ store });
    const outcome = await cs
      .guard(
        {
          name: 'db.read',
          run: (grant) => cs.grants.consume(grant.token, { name: 'db.read', sessionId: 'sess_42' }),
        },
        CONTEXT,
      )
      .catch((error: unknown) => error);
    expect(outcome).toMatchObject({ code: 'store_failed' });
    const failed = (await cs.audit.entries()).find((entry) => entry.type === 'failed');
    expect(failed?.consumedAt).toBeTypeOf('number');
  });

  test('… and when the grant cannot be read back either: still revoked, the outcome recorded, the consumption said unknown', async () => {
    const base = createMemoryStore();
    const store = overrideStore(base, {
      consumeGrant: async (match: ConsumeGrantMatch, audit: AuditDraft[]) => {
        await base.consumeGrant(match, audit);
        throw new Error('connection reset after commit');
      },
      getGrantByTokenHash: async () => {
        throw new Error('connection refused');
      },
    });
    const { cs } = setup({ store });
    let grantId = '';
    await cs
      .guard(
        {
          name: 'db.read',
          run: (grant) => {
            grantId = grant.id;
            return cs.grants.consume(grant.token, { name: 'db.read', sessionId: 'sess_42' });
          },
        },
        CONTEXT,
      )
      .catch(() => {});
    const failed = (await cs.audit.entries()).find((entry) => entry.type === 'failed');
    expect(failed).toMatchObject({ grantId, consumedAt: null });
    expect(failed?.detail).toMatch(/; consumption unknown: .*connection refused/);
    // Nothing left unrevoked, however far in the future one looks.
    expect(await base.listUnrevokedGrants!({ expiresAtOrBefore: Number.MAX_VALUE, limit: 10 })).toEqual([]);
  });

  test('a consumption after the action returned is refused and audited on its own', async () => {
    const { cs, auditTypes } = setup();
    let token = '';
    await cs.guard(
      {
        name: 'db.read',
        run: (grant) => {
          token = grant.token;
        },
      },
      CONTEXT,
    );
    const refusal = await cs.grants.consume(token, { name: 'db.read', sessionId: 'sess_42' }).catch((e) => e);
    expect((refusal as GrantRefusedError).reason).toBe('revoked');
    expect(await auditTypes()).toEqual(['allowed', 'executed', 'consume_refused']);
  });

  test('a throwing action is still revoked, its error is rethrown and recorded as failed', async () => {
    const { cs, auditTypes, clock, transport } = setup();
    let grant: Grant | null = null;
    const boom = new Error('disk full');
    const run = cs
      .guard(
        {
          ...EXPORT,
          run: (g) => {
            grant = g;
            throw boom;
          },
        },
        CONTEXT,
      )
      .catch((e: unknown) => e);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    expect(await run).toBe(boom);
    expect(grant!.signal.aborted).toBe(true);
    const types = await auditTypes();
    expect(types.slice(-3)).toEqual(['approved', 'granted', 'failed']);
    const failed = (await cs.audit.entries()).find((entry) => entry.type === 'failed');
    expect(failed?.detail).toBe('Error: disk full');
    expect(failed?.consumedAt).toBeNull();
    expect((await cs.getRequest(request.id))?.status).toBe('failed');
    const replay = await cs.grants
      .consume(grant!.token, { ...EXPORT, sessionId: CONTEXT.sessionId })
      .catch((e: unknown) => e);
    expect((replay as GrantRefusedError).reason).toBe('revoked');
    expect(clock.pendingTimers()).toBe(0);
  });

  test('grant.signal aborts when the grant expires during a long action', async () => {
    const { cs, clock } = setup();
    let release: () => void = () => {};
    let aborted: unknown = null;
    const run = cs.guard(
      {
        name: 'db.read',
        run: (grant) =>
          new Promise<void>((resolve) => {
            grant.signal.addEventListener('abort', () => {
              aborted = grant.signal.reason;
            });
            release = resolve;
          }),
      },
      CONTEXT,
    );
    await clock.advance(59_999);
    expect(aborted).toBeNull();
    await clock.advance(1);
    expect(String(aborted)).toContain('grant expired');
    release();
    await run;
    expect(clock.pendingTimers()).toBe(0);
  });

  test('an expired grant is refused even before revocation', async () => {
    const { cs, clock } = setup();
    const refusal = await cs.guard(
      {
        name: 'db.read',
        run: async (grant) => {
          await clock.advance(60_000);
          return cs.grants
            .consume(grant.token, { name: 'db.read', sessionId: 'sess_42' })
            .catch((e: unknown) => e);
        },
      },
      CONTEXT,
    );
    expect((refusal as GrantRefusedError).reason).toBe('expired');
  });

  test('the token never appears in JSON, inspect output, events or the audit log', async () => {
    const { cs } = setup();
    const events: unknown[] = [];
    for (const name of ['allowed', 'consumed', 'revoked', 'executed'] as const)
      cs.on(name, (event) => events.push(event));
    let token = '';
    let printed = '';
    await cs.guard(
      {
        name: 'db.read',
        run: async (grant) => {
          token = grant.token;
          printed = JSON.stringify(grant) + inspect(grant) + String(Object.keys(grant));
          await cs.grants.consume(grant.token, { name: 'db.read', sessionId: 'sess_42' });
        },
      },
      CONTEXT,
    );
    expect(token).toMatch(/^cst_.{43}$/);
    expect(printed).not.toContain(token);
    expect(JSON.stringify(events)).not.toContain(token);
    expect(await cs.audit.export()).not.toContain(token);
    // Consumed through the running process: no `consumed` entry, its time is on `executed`.
    expect(events).toHaveLength(2);
    expect(await cs.audit.export()).toMatch(/"consumedAt":\d+/);
  });

  test('concurrent consumers of one grant: exactly one wins', async () => {
    const { cs } = setup();
    const outcomes = await cs.guard(
      {
        name: 'db.read',
        run: (grant) =>
          Promise.allSettled(
            Array.from({ length: 20 }, () =>
              cs.grants.consume(grant.token, { name: 'db.read', sessionId: 'sess_42' }),
            ),
          ),
      },
      CONTEXT,
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const reasons = outcomes.flatMap((o) =>
      o.status === 'rejected' ? [(o.reason as GrantRefusedError).reason] : [],
    );
    expect(new Set(reasons)).toEqual(new Set(['consumed']));
  });
});

describe('a store wrapped around the memory store', () => {
  test('its own grant methods are called, not the memory store synchronous ones', async () => {
    const inner = createMemoryStore();
    let consumed = 0;
    const store = {
      ...inner,
      consumeGrant: (...args: Parameters<typeof inner.consumeGrant>) => {
        consumed += 1;
        return inner.consumeGrant(...args);
      },
    };
    const cs = createCountersign({
      store,
      policy: [{ id: 'ok', match: { action: 'db.read' }, effect: 'allow' }],
    });
    const action = {
      name: 'db.read',
      params: { table: 't' },
      run: async (grant: { token: string }) => {
        await cs.grants.consume(grant.token, { name: 'db.read', params: { table: 't' }, sessionId: 's' });
        return 1;
      },
    };
    await expect(cs.guard(action, { actor: 'agent:a', reason: 'a test', sessionId: 's' })).resolves.toBe(1);
    expect(consumed).toBe(1);
  });
});
