import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  AlreadyDecidedError,
  ApprovalDeniedError,
  AuditActions,
  ConfigError,
  canTransition,
  createCountersign,
  isTerminal,
  NoEligibleApproversError,
  NotEligibleError,
  REQUEST_STATUSES,
  SelfApprovalError,
  TRANSITIONS,
} from '../src/index.js';
import { attempt, CONTEXT, DIRECTORY, EXPORT, POLICY, setup } from './helpers.js';

describe('state machine', () => {
  test('allows exactly the transitions in the table', () => {
    const legal = REQUEST_STATUSES.flatMap((from) => TRANSITIONS[from].map((to) => `${from}->${to}`));
    expect(legal.sort()).toEqual(
      [
        'pending->approved',
        'pending->denied',
        'pending->expired',
        'pending->cancelled',
        'approved->executed',
        'approved->failed',
        'approved->expired',
      ].sort(),
    );
    for (const status of ['denied', 'expired', 'cancelled', 'executed', 'failed'] as const) {
      expect(isTerminal(status)).toBe(true);
      for (const to of REQUEST_STATUSES) expect(canTransition(status, to)).toBe(false);
    }
  });

  test('a decision on a decided request throws already_decided and changes nothing', async () => {
    const { cs, transport, clock } = setup();
    const run = cs.guard({ ...EXPORT, run: () => 'done' }, CONTEXT).catch((e: unknown) => e);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'deny', comment: 'not today' });
    const before = await cs.getRequest(request.id);
    const entries = (await cs.audit.entries()).length;
    const late = await cs
      .decide(request.id, { approver: 'user:carol', outcome: 'approve' })
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(AlreadyDecidedError);
    expect((late as AlreadyDecidedError).status).toBe('denied');
    expect(await cs.getRequest(request.id)).toEqual(before);
    expect((await cs.audit.entries()).length).toBe(entries);
    expect(await run).toBeInstanceOf(ApprovalDeniedError);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a decision after expiry throws already_decided with status expired', async () => {
    const { cs, transport, clock } = setup();
    const run = cs.guard({ ...EXPORT, run: () => 'done' }, CONTEXT).catch((e: unknown) => e);
    const request = await transport.nextDelivery();
    await clock.advance(15 * 60_000);
    const late = await cs
      .decide(request.id, { approver: 'user:bob', outcome: 'approve' })
      .catch((e: unknown) => e);
    expect((late as AlreadyDecidedError).status).toBe('expired');
    expect((await cs.getRequest(request.id))?.decisions).toEqual([]);
    await run;
  });
});

describe('what a waiting guard holds on to', () => {
  test("changing the caller's context or params while it waits changes nothing it does", async () => {
    const { cs, transport, clock } = setup();
    const context = { ...CONTEXT };
    const params: Record<string, unknown> = { table: 'customers', format: 'csv' };
    let granted: { sessionId: string; fingerprint: string } | null = null;
    const run = cs.guard(
      {
        ...EXPORT,
        params,
        run: (grant) => {
          granted = { sessionId: grant.sessionId, fingerprint: grant.fingerprint };
        },
      },
      context,
    );
    const request = await transport.nextDelivery();
    await clock.flush();
    Object.assign(context, { actor: 'user:bob', onBehalfOf: null, sessionId: 'sess_other' });
    params.table = 'payroll';
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    await run;
    expect(granted).toEqual({ sessionId: CONTEXT.sessionId, fingerprint: request.fingerprint });
    const entries = await cs.audit.entries();
    for (const entry of entries.filter((e) => e.requestId === request.id && e.actor !== null)) {
      expect([entry.type, entry.actor, entry.sessionId]).toEqual([
        entry.type,
        CONTEXT.actor,
        CONTEXT.sessionId,
      ]);
    }
    const actions = new AuditActions();
    const executed = entries
      .map((entry) => [entry, actions.read(entry)] as const)
      .find(([e]) => e.type === 'executed');
    // The outcome names the entry that issued its grant, whose action it is.
    expect(executed?.[0].grantEntry).not.toBeNull();
    expect(executed?.[1]?.params).toEqual(EXPORT.params);
  });
});

describe('approvers', () => {
  test('neither the actor nor the person it acts for may approve, admins included', async () => {
    const { cs, transport } = setup();
    const run = cs.guard(
      { name: 'infra.deploy', run: () => 'deployed' },
      { ...CONTEXT, actor: 'user:carol' },
    );
    const request = await transport.nextDelivery();
    // alice is in every group, an admin, and eligible by name: still her own request.
    for (const approver of ['user:carol', 'user:alice']) {
      await expect(cs.decide(request.id, { approver, outcome: 'approve' })).rejects.toBeInstanceOf(
        SelfApprovalError,
      );
    }
    expect((await cs.getRequest(request.id))?.status).toBe('pending');
    const refused = (await cs.audit.entries()).filter((entry) => entry.type === 'refused');
    expect(refused.map((entry) => [entry.approver, entry.detail])).toEqual([
      ['user:carol', 'self-approval'],
      ['user:alice', 'self-approval'],
    ]);
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await run).toBe('deployed');
  });

  test('the eligible set excludes the actor and principal when the request is made', async () => {
    const { cs, transport } = setup();
    void cs.guard({ ...EXPORT, run: () => 1 }, CONTEXT).catch(() => {});
    const request = await transport.nextDelivery();
    expect(request.approvers).toEqual(['user:bob', 'user:carol', 'user:dave']);
  });

  test('each request excludes its own actor and principal, whoever asked before it', async () => {
    const { cs, transport } = setup();
    const deploy = { name: 'infra.deploy', run: () => 1 };
    const callers = [
      { actor: 'agent:a', onBehalfOf: 'user:alice' },
      { actor: 'agent:a', onBehalfOf: 'user:alice' },
      { actor: 'agent:a', onBehalfOf: 'user:bob' },
      { actor: 'user:carol', onBehalfOf: null },
      { actor: 'agent:a', onBehalfOf: 'user:alice' },
    ];
    const seen: string[][] = [];
    for (const caller of callers) {
      // Distinct params: identical pending calls would share one request (de-duplication).
      void cs.guard({ ...deploy, params: { n: seen.length } }, { ...CONTEXT, ...caller }).catch(() => {});
      seen.push([...(await transport.nextDelivery()).approvers]);
    }
    expect(seen).toEqual([
      ['user:bob', 'user:carol'],
      ['user:bob', 'user:carol'],
      ['user:alice', 'user:carol'],
      ['user:alice', 'user:bob'],
      ['user:bob', 'user:carol'],
    ]);
  });

  test('only eligible approvers count', async () => {
    const { cs, transport } = setup();
    void cs.guard({ ...EXPORT, run: () => 1 }, CONTEXT).catch(() => {});
    const request = await transport.nextDelivery();
    for (const approver of ['user:mallory', 'user:nobody', 'slack:T1:U1']) {
      await expect(cs.decide(request.id, { approver, outcome: 'approve' })).rejects.toBeInstanceOf(
        NotEligibleError,
      );
    }
    expect((await cs.getRequest(request.id))?.decisions).toEqual([]);
  });

  test('a quorum needs that many distinct approvers; a repeat vote does not count', async () => {
    const { cs, transport } = setup();
    let runs = 0;
    const run = cs.guard({ ...EXPORT, run: () => ++runs }, CONTEXT);
    const request = await transport.nextDelivery();
    const first = await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect([first.approvals, first.quorum, first.request.status]).toEqual([1, 2, 'pending']);
    await expect(cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' })).rejects.toMatchObject({
      code: 'already_voted',
    });
    expect(runs).toBe(0);
    const second = await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    expect(second.request.status).toBe('approved');
    expect(await run).toBe(1);
  });

  test('one eligible deny denies, and the reason reaches the agent', async () => {
    const { cs, transport } = setup();
    const { outcome: run, ran } = attempt(cs);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await cs.decide(request.id, {
      approver: 'user:dave',
      outcome: 'deny',
      comment: 'use the anonymised view',
    });
    const error = (await run) as ApprovalDeniedError;
    expect(error).toBeInstanceOf(ApprovalDeniedError);
    expect([error.deniedBy, error.comment, error.code]).toEqual([
      'user:dave',
      'use the anonymised view',
      'approval_denied',
    ]);
    expect(ran()).toBe(false);
  });

  test('a rule nobody can approve fails at configuration time', () => {
    const make = (policy: typeof POLICY) => () =>
      createCountersign({ store: createMemoryStore(), directory: DIRECTORY, policy });
    const rule = POLICY[1]!;
    expect(make([{ ...rule, approvers: { groups: ['nobody'] } }])).toThrow(ConfigError);
    expect(make([{ ...rule, approvers: {} }])).toThrow(/no identity can approve/);
    expect(make([{ ...rule, approvers: undefined }])).toThrow(/names no approvers/);
    expect(make([{ ...rule, approvers: { users: ['user:bob'] }, quorum: 2 }])).toThrow(/quorum of 2/);
  });

  test('a request that cannot reach quorum once the actor and principal are excluded is refused up front', async () => {
    const { cs, auditTypes } = setup({
      policy: [
        {
          id: 'two-of-bob-and-alice',
          match: { action: 'db.export' },
          effect: 'require_approval',
          approvers: { users: ['user:bob', 'user:alice'] },
          quorum: 2,
        },
      ],
    });
    const { outcome, ran } = attempt(cs);
    const error = await outcome;
    expect(error).toBeInstanceOf(NoEligibleApproversError);
    expect(ran()).toBe(false);
    expect(await auditTypes()).toEqual(['policy_denied']);
  });
});
