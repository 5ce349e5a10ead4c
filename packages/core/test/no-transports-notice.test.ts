import { createMemoryStore } from '@countersign/memory-store';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { type CountersignOptions, createCountersign } from '../src/index.js';
import { createTestClock } from '../src/testing/index.js';
import { CONTEXT, DIRECTORY, EXPORT, POLICY, tick } from './helpers.js';

// The default sink's once-per-process memory lives in this file's module instance: the only
// test here that leaves `logger` unset is the one that checks it.

function instance(options: Partial<CountersignOptions>) {
  const cs = createCountersign({
    store: createMemoryStore(),
    directory: DIRECTORY,
    policy: POLICY,
    clock: createTestClock(),
    ...options,
  });
  const notices: string[] = [];
  cs.on('notice', (event) => notices.push(event.code));
  return { cs, notices };
}

/** Opens a request (the wait is left pending) and lets delivery run. */
async function openRequest(cs: ReturnType<typeof instance>['cs'], key: string) {
  const result = await cs.open(EXPORT, { ...CONTEXT, idempotencyKey: key });
  expect(result.status).toBe('pending');
  await tick();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the no-transports notice: once, and only when a request is opened nobody is told about', () => {
  test('nothing at creation, nor for calls that open no request, nor for decide() and the audit log', async () => {
    const lines: string[] = [];
    const { cs, notices } = instance({ logger: { warn: (message) => lines.push(message) } });
    await tick();
    await cs.guard({ name: 'db.read', resource: 'prod/customers', params: {}, run: () => 1 }, CONTEXT);
    await cs.guard({ name: 'iam.grant', params: {}, run: () => 1 }, CONTEXT).catch(() => {});
    await cs.audit.entries();
    await cs.close();
    expect(lines).toEqual([]);
    expect(notices).toEqual([]);
  });

  test('a logger hears it at the first request opened, once per instance, beside the notice event', async () => {
    const lines: string[] = [];
    const logger = { warn: (message: string) => lines.push(message) };
    const first = instance({ logger });
    await openRequest(first.cs, 'k1');
    await openRequest(first.cs, 'k2');
    expect(lines).toEqual([expect.stringContaining('no transports are configured')]);
    expect(first.notices).toEqual(['no_transports']);
    // Another instance has its own set-up to check, so its logger is told too.
    const second = instance({ logger });
    await openRequest(second.cs, 'k3');
    expect(lines).toHaveLength(2);
    expect(second.notices).toEqual(['no_transports']);
    await Promise.all([first.cs.close(), second.cs.close()]);
  });

  test('logger: null is accepted and silent: no line, no process warning; the event still fires', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { cs, notices } = instance({ logger: null });
    await openRequest(cs, 'k1');
    await cs.close();
    expect(emitWarning).not.toHaveBeenCalled();
    expect(notices).toEqual(['no_transports']);
  });

  test('by default a process warning, once per process however many instances open requests', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const first = instance({});
    const second = instance({});
    await tick();
    expect(emitWarning).not.toHaveBeenCalled();
    await openRequest(first.cs, 'k1');
    await openRequest(second.cs, 'k2');
    expect(emitWarning).toHaveBeenCalledTimes(1);
    expect(emitWarning).toHaveBeenCalledWith(expect.stringContaining('no transports are configured'), {
      code: 'COUNTERSIGN_NO_TRANSPORTS',
    });
    await Promise.all([first.cs.close(), second.cs.close()]);
  });

  test('an instance with a transport never says it', async () => {
    const lines: string[] = [];
    const transport = { name: 'quiet', deliver: async () => ({}) };
    const { cs, notices } = instance({ transports: [transport], logger: { warn: (m) => lines.push(m) } });
    await openRequest(cs, 'k1');
    await cs.close();
    expect(lines).toEqual([]);
    expect(notices).toEqual([]);
  });

  test('a logger or listener that throws does not fail the call that prompted it', async () => {
    const { cs } = instance({
      logger: {
        warn: () => {
          throw new Error('logger down');
        },
      },
    });
    cs.on('notice', () => {
      throw new Error('listener down');
    });
    await openRequest(cs, 'k1');
    await cs.close();
  });

  test('a logger without warn(message) is refused', () => {
    expect(() => instance({ logger: {} as never })).toThrow(/warn\(message\)/);
    expect(() => instance({ logger: 'console' as never })).toThrow(/warn\(message\)/);
  });
});
