import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  type ApprovalRequest,
  ConfigError,
  CorruptRecordError,
  createCountersign,
  isCountersignError,
  type Store,
  ValidationError,
} from '../src/index.js';
import type { GuardAction, GuardContext } from '../src/model/call.js';
import { attempt, CONTEXT, DIRECTORY, EXPORT, overrideStore, POLICY, setup, tick } from './helpers.js';

describe('validation', () => {
  const bad: [string, Partial<GuardAction<unknown>>, Partial<GuardContext>, RegExp][] = [
    ['an empty action name', { name: '' }, {}, /name/],
    ['a missing run function', { run: 'nope' as never }, {}, /run: must be a function/],
    ['params that are not JSON', { params: { when: new Date() } }, {}, /params\.when is a Date/],
    ['params with undefined', { params: { a: undefined } }, {}, /params\.a is undefined/],
    ['a missing reason', {}, { reason: '  ' }, /reason: must say why/],
    ['a missing session', {}, { sessionId: undefined as never }, /sessionId/],
    ['an actor with control characters', {}, { actor: 'agent:\u202ebot' }, /actor: must be printable ASCII/],
    ['an action name with a Hangul filler', { name: 'db.\u3164export' }, {}, /name: must not contain/],
    ['an action name with a variation selector', { name: 'db.export\ufe0f' }, {}, /name: must not contain/],
    [
      'a session with a combining grapheme joiner',
      {},
      { sessionId: 'sess\u034f1' },
      /sessionId: must not contain/,
    ],
    ['an oversized params object', { params: { blob: 'x'.repeat(70_000) } }, {}, /exceeds maxParamsBytes/],
  ];

  test.each(bad)(
    '%s is a ValidationError and nothing runs or is written',
    async (_what, action, context, message) => {
      const { cs, auditTypes, transport } = setup();
      const { outcome, ran } = attempt(cs, { ...EXPORT, ...action }, { ...CONTEXT, ...context });
      const error = await outcome;
      expect(error).toBeInstanceOf(ValidationError);
      expect(isCountersignError(error, 'invalid_input')).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(ran()).toBe(false);
      expect(await auditTypes()).toEqual([]);
      expect(transport.delivered).toEqual([]);
    },
  );

  test('a malformed decision is a ValidationError and records nothing', async () => {
    const { cs, transport, clock } = setup();
    void cs.guard({ ...EXPORT, run: () => 1 }, CONTEXT).catch(() => {});
    const request = await transport.nextDelivery();
    await clock.flush();
    const before = await cs.audit.entries();
    for (const input of [
      { approver: 'user:bob', outcome: 'maybe' },
      { approver: '', outcome: 'approve' },
      {},
    ]) {
      await expect(cs.decide(request.id, input as never)).rejects.toBeInstanceOf(ValidationError);
    }
    expect(await cs.audit.entries()).toEqual(before);
    expect((await cs.getRequest(request.id))?.version).toBe(2);
  });

  test('bad options are a ConfigError naming the problem', () => {
    const base = { store: createMemoryStore(), directory: DIRECTORY, policy: POLICY };
    expect(() => createCountersign({ ...base, store: {} as Store })).toThrow(
      /must implement the Store interface/,
    );
    expect(() => createCountersign({ ...base, policy: [...POLICY, POLICY[0]!] })).toThrow(
      /share the id "reads-ok"/,
    );
    expect(() => createCountersign({ ...base, requestTtl: 'soon' as never })).toThrow(
      /duration from 1ms to 366d/,
    );
    expect(() =>
      createCountersign({ ...base, policy: [{ id: 'x', match: {}, effect: 'allow', quorum: 2 }] }),
    ).toThrow(/only apply to require_approval/);
    expect(() =>
      createCountersign({ ...base, policy: [{ id: 'x', match: { action: [] }, effect: 'allow' }] }),
    ).toThrow(ConfigError);
  });

  test('a corrupt record read back from the store fails closed', async () => {
    const memory = createMemoryStore();
    const store = overrideStore(memory, {
      getRequest: async (id: string) => ({
        ...(await memory.getRequest(id)),
        status: 'approved',
        version: 'two',
      }),
    });
    const { cs, transport } = setup({ store });
    const { outcome: run, ran } = attempt(cs);
    await transport.nextDelivery().catch(() => {});
    expect(await run).toBeInstanceOf(CorruptRecordError);
    expect(ran()).toBe(false);
  });

  /**
   * Runs a guarded export against a store whose first two reads are genuine (so the frozen parts
   * they return are checked and remembered) and whose later reads return `forge(stored)`.
   */
  async function withForgedReads(forge: (stored: ApprovalRequest) => object) {
    const memory = createMemoryStore();
    // Genuine until the guard has delivered its request and looked at it once (and so checked it).
    let forging = false;
    const store = overrideStore(memory, {
      getRequest: async (id: string) => {
        const stored = await memory.getRequest(id);
        if (stored === null || !forging) return stored;
        return Object.freeze(forge(stored));
      },
    });
    const { cs, transport, clock } = setup({ store });
    const { outcome, ran } = attempt(cs);
    await transport.nextDelivery();
    await tick();
    forging = true;
    await clock.advance(1_000);
    return { error: await outcome, ran: ran() };
  }

  test('a corrupt record fails closed even when deep-frozen and sharing an action already checked', async () => {
    const { error, ran } = await withForgedReads((stored) => ({
      ...stored,
      status: 'approved',
      decidedAt: 'now',
    }));
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(ran).toBe(false);
  });

  test('a list checked for one member does not pass unchecked in another', async () => {
    // Its own approver list, frozen and already checked as approvers, handed back as decisions.
    const { error, ran } = await withForgedReads((stored) => ({ ...stored, decisions: stored.approvers }));
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(ran).toBe(false);
  });
});
