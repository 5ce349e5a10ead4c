import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { ErrorCode, fingerprintAction } from '../src/index.js';
import type { Narrowed } from '../src/model/call.js';
import type { PolicyRule } from '../src/model/rule.js';
import { CONTEXT, setup } from './helpers.js';

const RULE: PolicyRule = {
  id: 'exports',
  match: { action: 'db.export' },
  effect: 'require_approval',
  approvers: { users: ['user:bob'] },
  editable: ['rows', 'tables', 'options.limit'],
  reuse: { within: '30m', scope: 'session', same: 'fingerprint' },
};
const PARAMS = {
  rows: 1_000_000,
  tables: ['orders', 'customers'],
  format: 'csv',
  options: { limit: 50 },
  password: 'hunter2',
};

function exportCall(
  cs: ReturnType<typeof setup>['cs'],
  seen: { narrowed?: Narrowed | undefined; fingerprint?: string },
) {
  return cs
    .guard(
      {
        name: 'db.export',
        resource: 'prod/db',
        params: PARAMS,
        run: (grant, narrowed) => {
          seen.narrowed = narrowed;
          seen.fingerprint = grant.fingerprint;
          return 'ran';
        },
      },
      CONTEXT,
    )
    .catch((error: unknown) => error);
}

describe('approver edits: refused unless they narrow an editable param', () => {
  test.each([
    [{ rows: 2_000_000 }, 'does not narrow'],
    [{ rows: -1 }, 'does not narrow'],
    [{ tables: ['orders', 'payroll'] }, 'does not narrow'],
    [{ format: 'json' }, 'does not let approvers edit'],
    [{ 'options.limit': 'all' }, 'does not narrow'],
    [{ password: 'x' }, 'does not let approvers edit'],
    [{ 'options.missing': 1 }, 'does not let approvers edit'],
  ])('%j is refused, audited, and changes nothing', async (edit, problem) => {
    const { cs, transport } = setup({ policy: [RULE] });
    const seen = {};
    const call = exportCall(cs, seen);
    const request = await transport.nextDelivery();
    const refused = await cs
      .decide(request.id, { approver: 'user:bob', outcome: 'approve', edit })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: ErrorCode.InvalidInput });
    expect(String(refused.message)).toContain(problem);
    expect(await cs.getRequest(request.id)).toMatchObject({
      status: 'pending',
      decisions: [],
      action: request.action,
    });
    expect((await cs.audit.entries()).filter((e) => e.type === 'refused')).toHaveLength(1);
    await cs.close();
    await call;
  });

  test('an edit on a denial is refused', async () => {
    const { cs, transport } = setup({ policy: [RULE] });
    const call = exportCall(cs, {});
    const request = await transport.nextDelivery();
    await expect(
      cs.decide(request.id, { approver: 'user:bob', outcome: 'deny', edit: { rows: 1 } }),
    ).rejects.toThrow('only an approval');
    await cs.close();
    await call;
  });
});

describe('approver edits that narrow', () => {
  test('the grant binds the edited params, run receives them, and the diff is audited', async () => {
    const { cs, transport } = setup({ policy: [RULE] });
    const seen: { narrowed?: Narrowed | undefined; fingerprint?: string } = {};
    const call = exportCall(cs, seen);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, {
      approver: 'user:bob',
      outcome: 'approve',
      edit: { rows: 100, tables: ['orders'], 'options.limit': 10 },
    });
    expect(await call).toBe('ran');
    const approved = { ...PARAMS, rows: 100, tables: ['orders'], options: { limit: 10 } };
    expect(seen.narrowed?.params).toEqual(approved);
    expect(seen.narrowed?.changes).toEqual([
      { path: 'rows', asked: 1_000_000, approved: 100 },
      { path: 'tables', asked: ['orders', 'customers'], approved: ['orders'] },
      { path: 'options.limit', asked: 50, approved: 10 },
    ]);
    expect(seen.fingerprint).toBe(
      fingerprintAction({ name: 'db.export', resource: 'prod/db', params: approved }),
    );
    expect(seen.fingerprint).not.toBe(request.fingerprint);
    const decided = (await cs.audit.entries()).find((e) => e.type === 'approved');
    expect(decided?.detail).toMatch(
      /^narrowed rows: 1000000 -> 100; tables: \["orders","customers"\] -> \["orders"\]; options.limit: 50 -> 10; \d of \d approvals$/,
    );
    expect(JSON.stringify(await cs.audit.export())).not.toContain('hunter2');
    await cs.close();
  });

  test('an unedited approval runs with no narrowing', async () => {
    const { cs, transport } = setup({ policy: [RULE] });
    const seen: { narrowed?: Narrowed | undefined; fingerprint?: string } = {
      narrowed: { params: {}, changes: [] },
    };
    const call = exportCall(cs, seen);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await call).toBe('ran');
    expect(seen.narrowed).toBeUndefined();
    expect(seen.fingerprint).toBe(request.fingerprint);
    await cs.close();
  });

  test('a narrowed approval opens no reuse window: the next identical call asks', async () => {
    const { cs, transport } = setup({ policy: [RULE] });
    const call = exportCall(cs, {});
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', edit: { rows: 10 } });
    expect(await call).toBe('ran');
    const second = exportCall(cs, {});
    expect((await transport.nextDelivery()).id).not.toBe(request.id);
    await cs.close();
    await second;
  });

  test('a widening written into the store by someone else is refused by the guard, not run', async () => {
    const store = createMemoryStore();
    const { cs, transport } = setup({ policy: [RULE], store });
    const seen: { narrowed?: Narrowed | undefined } = {};
    const call = exportCall(cs, seen);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', edit: { rows: 10 } });
    const stored = (await store.getRequest(request.id))!;
    expect(stored.status).toBe('approved');
    // Too late to tamper with this one (it ran); show the guard's check on a forged record instead.
    expect(await call).toBe('ran');
    const forgedCall = exportCall(cs, seen);
    const forged = await transport.nextDelivery();
    const pending = (await store.getRequest(forged.id))!;
    await store.updateRequest(
      {
        ...pending,
        version: pending.version + 1,
        status: 'approved',
        decidedAt: pending.createdAt,
        decisions: [
          { approver: 'user:bob', outcome: 'approve', comment: null, via: 'api', at: pending.createdAt },
        ],
        action: { ...pending.action, params: { ...pending.action.params, format: 'parquet', rows: 5 } },
      },
      [],
    );
    const outcome = await forgedCall;
    expect(outcome).toMatchObject({ code: ErrorCode.CorruptRecord });
    expect(String((outcome as Error).message)).toContain('format differs');
    await cs.close();
  });
});
