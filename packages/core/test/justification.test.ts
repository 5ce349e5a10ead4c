import { describe, expect, test } from 'vitest';
import { ErrorCode } from '../src/index.js';
import type { PolicyRule } from '../src/model/rule.js';
import { attempt, CONTEXT, setup } from './helpers.js';

const rule = (requireComment: PolicyRule['requireComment']): PolicyRule[] => [
  {
    id: 'deploys',
    match: { action: 'infra.deploy' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
    requireComment,
  },
];
const DEPLOY = { name: 'infra.deploy', params: { service: 'api' } };

describe('a rule can require the approver to justify a decision', () => {
  test.each([
    ['approve', 'approve'],
    ['both', 'approve'],
    ['deny', 'deny'],
    ['both', 'deny'],
  ] as const)(
    'requireComment %s: %s without a comment is refused, audited, and changes nothing',
    async (required, outcome) => {
      const { cs, transport } = setup({ policy: rule(required) });
      const call = attempt(cs, DEPLOY);
      const request = await transport.nextDelivery();
      for (const comment of [undefined, '', '   ']) {
        const refused = await cs
          .decide(request.id, { approver: 'user:bob', outcome, comment })
          .catch((e) => e);
        expect(refused).toMatchObject({ code: ErrorCode.InvalidInput });
        expect(String(refused.message)).toContain('requires a comment');
      }
      const stored = await cs.getRequest(request.id);
      expect(stored).toMatchObject({ status: 'pending', decisions: [] });
      const refusals = (await cs.audit.entries()).filter((entry) => entry.type === 'refused');
      expect(refusals).toHaveLength(3);
      expect(refusals[0]?.detail).toContain(`requires to ${outcome}`);
      const done = await cs.decide(request.id, {
        approver: 'user:bob',
        outcome,
        comment: 'change ticket CHG-12',
      });
      expect(done.request.status).toBe(outcome === 'approve' ? 'approved' : 'denied');
      expect(done.request.decisions[0]?.comment).toBe('change ticket CHG-12');
      await call.outcome;
      expect(call.ran()).toBe(outcome === 'approve');
      await cs.close();
    },
  );

  test('requireComment approve leaves denials free, and deny leaves approvals free', async () => {
    for (const [required, outcome] of [
      ['approve', 'deny'],
      ['deny', 'approve'],
    ] as const) {
      const { cs, transport } = setup({ policy: rule(required) });
      const call = attempt(cs, DEPLOY, { ...CONTEXT, sessionId: `s-${required}` });
      const request = await transport.nextDelivery();
      const done = await cs.decide(request.id, { approver: 'user:bob', outcome });
      expect(done.request.status).toBe(outcome === 'approve' ? 'approved' : 'denied');
      await call.outcome;
      await cs.close();
    }
  });

  test('an approval without the required comment, forged in the store, is not run', async () => {
    const { cs, transport, store } = setup({ policy: rule('approve') });
    const call = attempt(cs, DEPLOY);
    const request = await transport.nextDelivery();
    const stored = (await store.getRequest(request.id))!;
    const forged = {
      approver: 'user:bob',
      outcome: 'approve' as const,
      comment: null,
      via: 'api',
      at: stored.createdAt,
    };
    await store.updateRequest(
      {
        ...stored,
        version: stored.version + 1,
        status: 'approved',
        decisions: [forged],
        decidedAt: stored.createdAt,
      },
      [],
    );
    const outcome = await call.outcome;
    expect(outcome).toMatchObject({ code: ErrorCode.CorruptRecord });
    expect(String((outcome as Error).message)).toContain('without the comment its rule requires');
    expect(call.ran()).toBe(false);
    await cs.close();
  });

  test('an unknown requireComment value is a ConfigError', () => {
    expect(() => setup({ policy: rule('always' as never) })).toThrow('requireComment');
  });
});
