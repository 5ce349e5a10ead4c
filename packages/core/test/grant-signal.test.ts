import { describe, expect, test } from 'vitest';
import type { Grant } from '../src/index.js';
import { CONTEXT, setup } from './helpers.js';

const READ = { name: 'db.read', params: { id: 7 } };

describe('grant.signal, made only when an action reads it', () => {
  test('first read after the action ended: already aborted, as revoked', async () => {
    const { cs, clock } = setup();
    let seen: Grant | null = null;
    await cs.guard(
      {
        ...READ,
        run: (grant) => {
          seen = grant;
        },
      },
      CONTEXT,
    );
    expect(seen!.signal.aborted).toBe(true);
    expect((seen!.signal.reason as Error).message).toBe('grant revoked');
    expect(seen!.signal).toBe(seen!.signal);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('an action that never reads it leaves no timer while it runs', async () => {
    const { cs, clock } = setup();
    let during = -1;
    await cs.guard(
      {
        ...READ,
        run: () => {
          during = clock.pendingTimers();
        },
      },
      CONTEXT,
    );
    expect(during).toBe(0);
  });

  test('first read after the grant lifetime passed: aborted as expired', async () => {
    const { cs, clock } = setup({ grantTtl: '1s' });
    let reason: unknown = null;
    await cs.guard(
      {
        ...READ,
        run: async (grant) => {
          await clock.advance(1_500);
          reason = grant.signal.reason;
          return grant.signal.aborted;
        },
      },
      CONTEXT,
    );
    expect((reason as Error).message).toBe('grant expired');
  });

  test("first read after the caller's abort: aborted as the caller's", async () => {
    const { cs } = setup();
    const controller = new AbortController();
    let reason: unknown = null;
    await cs.guard(
      {
        ...READ,
        run: (grant) => {
          controller.abort();
          reason = grant.signal.reason;
        },
      },
      { ...CONTEXT, signal: controller.signal },
    );
    expect((reason as Error).message).toBe('aborted by the caller');
  });

  test('read during the action, it aborts when the lifetime runs out', async () => {
    const { cs, clock } = setup({ grantTtl: '1s' });
    let reason: unknown = null;
    await cs.guard(
      {
        ...READ,
        run: async (grant) => {
          grant.signal.addEventListener('abort', () => {
            reason = grant.signal.reason;
          });
          expect(clock.pendingTimers()).toBe(1);
          await clock.advance(1_000);
        },
      },
      CONTEXT,
    );
    expect((reason as Error).message).toBe('grant expired');
    expect(clock.pendingTimers()).toBe(0);
  });
});
