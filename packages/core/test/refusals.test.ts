import { describe, expect, test } from 'vitest';
import { ErrorCode, isCountersignError } from '../src/index.js';
import { CONTEXT, EXPORT, setup } from './helpers.js';

describe('recordRefusal()', () => {
  test('audits a channel refusal as a refused entry, scrubbed, and decides nothing', async () => {
    const { cs } = setup();
    const opened = await cs.open(EXPORT, CONTEXT);
    if (opened.status !== 'pending') throw new Error('expected pending');
    await cs.recordRefusal(opened.requestId, {
      approver: 'user:mallory',
      via: 'http',
      why: 'not an approver; token xoxb-1234567890-abcdefghijkl',
    });
    const last = (await cs.audit.entries()).at(-1)!;
    expect(last).toMatchObject({
      type: 'refused',
      approver: 'user:mallory',
      via: 'http',
      requestId: opened.requestId,
    });
    expect(last.detail).not.toContain('xoxb-');
    expect((await cs.getRequest(opened.requestId))?.status).toBe('pending');
  });

  test('refuses unknown keys and unknown requests', async () => {
    const { cs } = setup();
    const bad = await cs
      .recordRefusal('req_x', { approver: 'user:a', via: 'http', why: 'x', extra: 1 } as never)
      .catch((e: unknown) => e);
    expect(isCountersignError(bad, ErrorCode.InvalidInput)).toBe(true);
    const missing = await cs
      .recordRefusal('req_x', { approver: 'user:a', via: 'http', why: 'x' })
      .catch((e: unknown) => e);
    expect(isCountersignError(missing, ErrorCode.RequestNotFound)).toBe(true);
  });
});
