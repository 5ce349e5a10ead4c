import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { createCountersign } from '../src/index.js';
import { createRecordingTransport } from '../src/testing/index.js';

describe('smoke', () => {
  test('allow, approve and deny paths', async () => {
    const transport = createRecordingTransport();
    const cs = createCountersign({
      store: createMemoryStore(),
      transports: [transport],
      directory: { 'user:bob': { groups: ['data-owners'] }, 'user:carol': { groups: ['data-owners'] } },
      policy: [
        { id: 'reads-ok', match: { action: 'db.read*' }, effect: 'allow' },
        {
          id: 'exports-need-two',
          match: { action: 'db.export', resource: 'prod/*' },
          effect: 'require_approval',
          approvers: { groups: ['data-owners'] },
          quorum: 2,
        },
        { id: 'no-escalation', match: { action: 'iam.*' }, effect: 'deny' },
      ],
    });
    const ctx = { actor: 'agent:bot', onBehalfOf: 'user:alice', reason: 'test', sessionId: 's1' };
    expect(await cs.guard({ name: 'db.read', run: () => 1 }, ctx)).toBe(1);
    const pending = cs.guard(
      { name: 'db.export', resource: 'prod/customers', params: { table: 'c' }, run: (g) => `ran ${g.id}` },
      ctx,
    );
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    expect(await pending).toMatch(/^ran grt_/);
    await expect(cs.guard({ name: 'iam.grant', run: () => 1 }, ctx)).rejects.toThrow(/policy denies/);
    const verified = await cs.audit.verify();
    expect(verified.ok).toBe(true);
    console.log((await cs.audit.export()).split('\n').map((l) => l && JSON.parse(l).type).join(' '));
  });
});
