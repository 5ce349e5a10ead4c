// An approver edit that keeps or touches a redacted list item is refused at decide(), not left for the guard.
import { describe, expect, test } from 'vitest';
import { ErrorCode } from '../src/index.js';
import type { PolicyRule } from '../src/model/rule.js';
import { CONTEXT, setup } from './helpers.js';

const RULE: PolicyRule = {
  id: 'exports',
  match: { action: 'db.export' },
  effect: 'require_approval',
  approvers: { users: ['user:bob'] },
  editable: ['tables', 'targets'],
};
const SECRET = 'xoxb-123456789012-abcdefghijkl';
const PARAMS = {
  tables: ['orders', SECRET, 'customers'],
  targets: [{ host: 'db1', password: 'hunter2' }],
  format: 'csv',
};

async function pending() {
  const { cs, store } = setup({ policy: [RULE] });
  const opened = await cs.open({ name: 'db.export', params: PARAMS }, CONTEXT);
  if (opened.status !== 'pending') throw new Error('expected a pending request');
  const request = (await cs.getRequest(opened.requestId))!;
  return { cs, store, request };
}

describe('edits at a param holding a redacted list item (#22)', () => {
  test('the request shows the items as redacted, by index', async () => {
    const { cs, request } = await pending();
    expect(request.action.redactedPaths).toEqual(['tables[1]', 'targets[0].password']);
    await cs.close();
  });

  test.each([
    ['keeps the redacted item as shown', { tables: ['orders', '[REDACTED:slack-token]'] }, 'tables'],
    ['drops the redacted item', { tables: ['orders'] }, 'tables'],
    [
      'keeps an item with a redacted member',
      { targets: [{ host: 'db1', password: '[REDACTED]' }] },
      'targets',
    ],
  ])(
    'an edit that %s is refused at decide(), audited, and the request stays usable',
    async (_what, edit, path) => {
      const { cs, store, request } = await pending();
      const before = (await store.readAudit(0, 1000)).length;
      const refused = await cs
        .decide(request.id, { approver: 'user:bob', outcome: 'approve', edit })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: ErrorCode.InvalidInput });
      expect((refused as Error).message).toContain(`edit.${path}: a redacted param cannot be edited`);
      expect(await cs.getRequest(request.id)).toEqual(request);
      const written = (await store.readAudit(0, 1000)).slice(before);
      expect(written.map((entry) => [entry.type, entry.approver])).toEqual([['refused', 'user:bob']]);
      expect(JSON.stringify(written)).not.toContain(SECRET);

      await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
      let seen: unknown = null;
      const result = await cs.guard(
        {
          name: 'db.export',
          params: PARAMS,
          run: (_grant, narrowed) => {
            seen = narrowed;
            return 'ran';
          },
        },
        { ...CONTEXT, requestId: request.id },
      );
      expect(result).toBe('ran');
      expect(seen).toBeUndefined();
      await cs.close();
    },
  );
});
