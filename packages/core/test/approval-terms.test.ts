import { describe, expect, test } from 'vitest';
import { presentRequest } from '../src/index.js';
import type { PolicyRule } from '../src/model/rule.js';
import { sampleRequest } from '../src/testing/index.js';
import { setup } from './helpers.js';

const RULE: PolicyRule = {
  id: 'exports',
  match: { action: 'db.export' },
  effect: 'require_approval',
  approvers: { users: ['user:bob'] },
  reuse: { within: '30m', scope: 'session', same: ['table'], maxUses: 5 },
  requireComment: 'deny',
  editable: ['rows'],
};

describe('what approving means, shown to approvers', () => {
  test('a rule with reuse, required comments and editable params', () => {
    const shown = presentRequest(sampleRequest({ ruleId: 'exports', risk: 'high' }), { rule: RULE });
    expect(shown.what.risk).toBe('high');
    expect(shown.terms).toEqual({
      reuse:
        'Approving may also cover up to 5 later matching (table) call(s) by this agent in this session for 30m; choose "just this call" to prevent it.',
      commentRequired: 'deny',
      editable: ['rows'],
    });
  });

  test('no reuse notice without reuse, and no terms without the rule', () => {
    const plain = { ...RULE, reuse: undefined, requireComment: undefined, editable: undefined };
    expect(presentRequest(sampleRequest(), { rule: plain }).terms).toEqual({
      reuse: null,
      commentRequired: null,
      editable: [],
    });
    expect(presentRequest(sampleRequest()).terms).toBeUndefined();
  });

  test('transports get the rule and batch decisions from their host', async () => {
    const { cs, transport } = setup({ policy: [RULE] });
    await cs.explain({ action: 'x', actor: 'agent:a' });
    await new Promise((resolve) => setImmediate(resolve));
    const host = transport.host!;
    expect(host.rule?.('exports')).toMatchObject({ id: 'exports' });
    expect(host.rule?.('nope')).toBeNull();
    expect(typeof host.decideBatch).toBe('function');
    await cs.close();
  });
});
