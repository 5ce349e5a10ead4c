import { createHash } from 'node:crypto';
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  ConfigError,
  canonicalJson,
  createCountersign,
  ErrorCode,
  isCountersignError,
  type JsonObject,
  type JsonValue,
} from '../src/index.js';
import { copyJsonParams, MAX_PARAMS_DEPTH } from '../src/lib/input.js';
import { attempt, CONTEXT, DIRECTORY, EXPORT, POLICY, setup } from './helpers.js';

const base = () => ({ store: createMemoryStore(), directory: DIRECTORY, policy: POLICY });

/** Runs a guard with hostile input and checks it failed with a countersign error and left nothing. */
async function refusedCleanly(action: unknown, context: unknown, code: string = ErrorCode.InvalidInput) {
  const { cs, store, transport } = setup();
  let ran = false;
  const run = () => {
    ran = true;
  };
  const withRun =
    typeof action === 'object' && action !== null && !('run' in action) ? { ...action, run } : action;
  const error = await cs.guard(withRun as never, context as never).catch((e: unknown) => e);
  expect(isCountersignError(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect(ran).toBe(false);
  expect(transport.delivered).toHaveLength(0);
  expect(await store.listRequests({ status: 'pending', limit: 10 })).toHaveLength(0);
  expect(await store.auditHead()).toBeNull();
  return error as Error;
}

describe('unknown keys are errors that name the key and the likely one', () => {
  test('a misspelled onBehalfOf never lets the principal approve', async () => {
    const context = { actor: 'agent:bot', onBehalf: 'user:alice', reason: 'r', sessionId: 's' };
    const error = await refusedCleanly(EXPORT, context);
    expect(error.message).toContain('unknown key "onBehalf" (did you mean "onBehalfOf"?)');
  });

  test('in the action, the decision, the grant check and explain()', async () => {
    await refusedCleanly({ ...EXPORT, resourse: 'x' }, CONTEXT);
    const { cs } = setup();
    const opened = await cs.open(EXPORT, CONTEXT);
    if (opened.status !== 'pending') throw new Error('expected pending');
    const decision = await cs
      .decide(opened.requestId, { approver: 'user:bob', outcome: 'approve', commment: 'x' } as never)
      .catch((e: unknown) => e);
    expect((decision as Error).message).toContain('unknown key "commment" (did you mean "comment"?)');
    expect((await cs.getRequest(opened.requestId))?.decisions).toHaveLength(0);
    const check = await cs.grants
      .consume('t'.repeat(43), { name: 'db.read', sessionId: 's', session: 'x' } as never)
      .catch((e: unknown) => e);
    expect(isCountersignError(check, ErrorCode.InvalidInput)).toBe(true);
    expect(() => cs.explain({ action: 'db.read', actor: 'a', resorce: 'x' } as never)).toThrow(
      /did you mean "resource"/,
    );
  });

  test('in options, rules, matches, approvers and directory entries: ConfigError', () => {
    expect(() => createCountersign({ ...base(), transport: [] } as never)).toThrow(
      /unknown key "transport" \(did you mean "transports"\?\)/,
    );
    const rule = { id: 'r', match: { action: 'x' }, effect: 'allow', quorom: 1 };
    expect(() => createCountersign({ ...base(), policy: [rule] } as never)).toThrow(/policy\[0\]/);
    expect(() =>
      createCountersign({
        ...base(),
        policy: [{ id: 'r', match: { acton: 'x' }, effect: 'allow' }],
      } as never),
    ).toThrow(/did you mean "action"/);
    expect(() =>
      createCountersign({
        ...base(),
        policy: [
          {
            id: 'r',
            match: { action: 'x' },
            effect: 'require_approval',
            approvers: { user: ['user:bob'] },
          },
        ],
      } as never),
    ).toThrow(/did you mean "users"/);
    expect(() =>
      createCountersign({ ...base(), directory: { 'user:bob': { group: ['x'] } } } as never),
    ).toThrow(ConfigError);
  });
});

describe('hostile values never escape as TypeError, hang, or leave anything behind', () => {
  const throwing = new Proxy(
    {},
    {
      ownKeys() {
        throw new TypeError('trap');
      },
    },
  );
  const getter = Object.defineProperty({ ...CONTEXT }, 'actor', {
    enumerable: true,
    get() {
      throw new Error('boom');
    },
  });
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  let deep: JsonValue = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];

  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const cases: [string, unknown, unknown][] = [
    ['a symbol as the context', EXPORT, Symbol('x')],
    ['a revoked proxy as the context', EXPORT, revoked.proxy],
    ['a revoked proxy as params', { ...EXPORT, params: revoked.proxy }, CONTEXT],
    ['a null-prototype context', EXPORT, Object.assign(Object.create(null), CONTEXT, { extra: 1 })],
    ['a proxy whose keys throw', EXPORT, throwing],
    ['a getter that throws', EXPORT, getter],
    ['null action', null, CONTEXT],
    ['cyclic params', { ...EXPORT, params: cyclic }, CONTEXT],
    ['100,000-deep params', { ...EXPORT, params: { deep } }, CONTEXT],
    ['a lone surrogate in params', { ...EXPORT, params: { name: 'a\ud800b' } }, CONTEXT],
    ['a lone surrogate in a key', { ...EXPORT, params: { '\udc00': 1 } }, CONTEXT],
    ['a symbol key in params', { ...EXPORT, params: { [Symbol('s')]: 1 } }, CONTEXT],
    ['a Date in params', { ...EXPORT, params: { at: new Date() } }, CONTEXT],
    ['a bigint in params', { ...EXPORT, params: { n: 1n } }, CONTEXT],
    ['a Map as params', { ...EXPORT, params: new Map() }, CONTEXT],
    ['undefined in params', { ...EXPORT, params: { x: undefined } }, CONTEXT],
    ['an AbortSignal look-alike', EXPORT, { ...CONTEXT, signal: { aborted: false, addEventListener() {} } }],
    ['a parsed __proto__ member', { ...EXPORT, params: JSON.parse('{"__proto__":{"admin":true}}') }, CONTEXT],
    ['a nested __proto__ member', { ...EXPORT, params: JSON.parse('{"a":{"__proto__":1}}') }, CONTEXT],
  ];
  test.each(cases)('%s', async (_what, action, context) => {
    await refusedCleanly(action, context);
  });

  test('nesting is bounded at the documented depth', () => {
    let ok: JsonValue = 1;
    for (let i = 0; i < MAX_PARAMS_DEPTH - 1; i++) ok = [ok];
    expect(() => copyJsonParams({ ok } as JsonObject, 'p')).not.toThrow();
    expect(() => copyJsonParams({ ok: [ok] } as JsonObject, 'p')).toThrow(/deeper than 64/);
  });

  test('a shared (not circular) object is fine', async () => {
    const shared = { x: 1 };
    const { cs } = setup();
    const result = await cs.guard(
      { name: 'db.read', params: { a: shared, b: shared }, run: () => 'ok' },
      CONTEXT,
    );
    expect(result).toBe('ok');
  });

  test('durations that would make an invalid date are refused at configuration', () => {
    expect(() => createCountersign({ ...base(), requestTtl: 1e21 })).toThrow(ConfigError);
    expect(() => createCountersign({ ...base(), grantTtl: '400d' })).toThrow(ConfigError);
    const rule = {
      id: 'r',
      match: { action: 'x' },
      effect: 'require_approval' as const,
      approvers: { users: ['user:bob'] },
      requestTtl: 1e21,
    };
    expect(() => createCountersign({ ...base(), policy: [rule] })).toThrow(ConfigError);
  });

  test('changing a getter-backed member after the call changes nothing: each member is read once', async () => {
    const { cs, transport } = setup();
    let reads = 0;
    const context = Object.defineProperty({ ...CONTEXT }, 'onBehalfOf', {
      enumerable: true,
      get() {
        reads += 1;
        return reads === 1 ? 'user:alice' : 'user:nobody';
      },
    });
    const { outcome } = attempt(cs, EXPORT, context);
    const request = await transport.nextDelivery();
    expect(request.onBehalfOf).toBe('user:alice');
    expect(reads).toBe(1);
    const self = await cs.decide(request.id, { approver: 'user:alice', outcome: 'approve' }).catch((e) => e);
    expect(isCountersignError(self, ErrorCode.SelfApproval)).toBe(true);
    await cs.close();
    await outcome;
  });
});

describe('what approvers see is exactly what the grant binds', () => {
  // A small seeded generator of arbitrary JSON, keys included (no dependency needed for this).
  function random(seed: number) {
    let state = seed >>> 0;
    return () => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  }
  const KEYS = [
    'a',
    'b',
    'constructor',
    'toString',
    'hasOwnProperty',
    'x y',
    'é',
    '😀',
    '',
    '0',
    '10',
    'prototype',
  ];
  function value(next: () => number, depth: number): JsonValue {
    const kind = Math.floor(next() * (depth > 3 ? 4 : 6));
    switch (kind) {
      case 0:
        return null;
      case 1:
        return next() < 0.5;
      case 2:
        return [0, -0, 1.5, 1e21, -1e-7, 2 ** 53, 123456789][Math.floor(next() * 7)]!;
      case 3:
        return ['', 'text', 'ünïcödé', '😀', '\u2028', '"quoted"', 'a\\b'][Math.floor(next() * 7)]!;
      case 4:
        return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
      default: {
        const out: JsonObject = {};
        for (let i = Math.floor(next() * 4); i > 0; i--)
          out[KEYS[Math.floor(next() * KEYS.length)]!] = value(next, depth + 1);
        return out;
      }
    }
  }
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  test('for 300 arbitrary params: transports, events and audit show what paramsHash and the fingerprint bind', async () => {
    const { cs, transport } = setup({ maxPendingPerActor: 1_000 });
    const shownInEvents: JsonObject[] = [];
    cs.on('requested', (event) => shownInEvents.push(event.entry.action!.params));
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const params: JsonObject = { seed, value: value(next, 0) };
      // Through JSON text, as a model's tool arguments arrive.
      const parsed = JSON.parse(JSON.stringify(params)) as JsonObject;
      const opened = await cs.open(
        { name: 'infra.deploy', params: parsed },
        { ...CONTEXT, idempotencyKey: `k${seed}` },
      );
      if (opened.status !== 'pending') throw new Error('expected pending');
      const request = (await cs.getRequest(opened.requestId))!;
      expect(canonicalJson(request.action.params)).toBe(canonicalJson(parsed));
      expect(request.action.paramsHash).toBe(sha(canonicalJson(parsed)));
      expect(canonicalJson(transport.delivered.at(-1)!.action.params)).toBe(canonicalJson(parsed));
      expect(canonicalJson(shownInEvents.at(-1)!)).toBe(canonicalJson(parsed));
    }
    const exported = await cs.audit.export();
    expect(exported.length).toBeGreaterThan(0);
  });
});

describe('secrets in keys', () => {
  test('a token used as a key is scrubbed in transports, events and the audit log', async () => {
    const { cs, transport } = setup();
    const token = 'xoxb-1234567890-abcdefghijkl';
    const opened = await cs.open(
      { name: 'infra.deploy', params: { routes: { [token]: '#deploys', other: 'x' } } },
      CONTEXT,
    );
    if (opened.status !== 'pending') throw new Error('expected pending');
    const delivered = transport.delivered[0]!;
    expect(JSON.stringify(delivered)).not.toContain(token);
    expect(delivered.action.redactedPaths).toEqual(['routes.[REDACTED:slack-token]']);
    expect(await cs.audit.export()).not.toContain(token);
    const request = await cs.getRequest(opened.requestId);
    expect(JSON.stringify(request)).not.toContain(token);
  });

  test('two secret keys scrubbed alike stay two members', async () => {
    const { cs, transport } = setup();
    await cs.open(
      {
        name: 'infra.deploy',
        params: { a: { 'xoxb-1111111111-aaaaaaaa': 1, 'xoxb-2222222222-bbbbbbbb': 2 } },
      },
      CONTEXT,
    );
    const shown = transport.delivered[0]!.action.params.a as JsonObject;
    expect(Object.keys(shown)).toEqual(['[REDACTED:slack-token]', '[REDACTED:slack-token]#2']);
  });
});

describe('no look-alike identity passes for the principal or the actor', () => {
  const variants = [
    'User:Alice',
    'USER:ALICE',
    'user:\u0430lice', // Cyrillic а
    'user:alice ',
    ' user:alice',
    'user:al\u200bice', // zero-width space
    'user:\uff41lice', // full-width ａ
    'user:alice\u200e', // left-to-right mark
    'user:alice\u2028',
  ];
  test.each(variants)('onBehalfOf %j: refused as input, or refused as self-approval', async (variant) => {
    const { cs, transport } = setup();
    const outcome = cs
      .guard({ ...EXPORT, run: () => 'ran' }, { ...CONTEXT, onBehalfOf: variant })
      .catch((error: unknown) => error);
    const delivered = await Promise.race([transport.nextDelivery(), outcome.then(() => null)]);
    if (delivered === null) {
      expect(isCountersignError(await outcome, ErrorCode.InvalidInput)).toBe(true);
      return;
    }
    // Case variants are valid identities: the principal still may not approve.
    const self = await cs
      .decide(delivered.id, { approver: 'user:alice', outcome: 'approve' })
      .catch((e) => e);
    expect(isCountersignError(self, ErrorCode.SelfApproval)).toBe(true);
    expect(delivered.approvers).not.toContain('user:alice');
    await cs.close();
    await outcome;
  });

  test('an approver identity differing only in case is the actor', async () => {
    const { cs, transport } = setup();
    const outcome = cs
      .guard({ ...EXPORT, run: () => 'ran' }, { ...CONTEXT, actor: 'User:Bob', onBehalfOf: null })
      .catch((error: unknown) => error);
    const request = await transport.nextDelivery();
    expect(request.approvers).not.toContain('user:bob');
    const self = await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' }).catch((e) => e);
    expect(isCountersignError(self, ErrorCode.SelfApproval)).toBe(true);
    await cs.close();
    await outcome;
  });
});

describe('secret shapes and names that were missed', () => {
  test.each([
    ['a plural secret key', { tokens: ['abc'], apiKeys: ['k1'], passwords: ['p'] }],
    ['password= in text', { note: 'connect with password=hunter2 please' }],
    ['a JSON-ish assignment', { note: '{"apiKey": "abcdef123456"}' }],
    ['a Stripe key', { key: 'sk_live_abcdefghijklmnop' }],
    ['an OpenAI key', { key: 'sk-proj-abcdefghijklmnopqrstuvwxyz012345' }],
    ['a Google API key', { key: 'AIzaSyA1234567890abcdefghijklmnopqrstuv' }],
  ])('%s never reaches a transport, an event or the audit log', async (_what, params) => {
    const { cs, transport } = setup();
    const seen: string[] = [];
    cs.on('requested', (event) => seen.push(JSON.stringify(event.entry)));
    await cs.open({ name: 'infra.deploy', params: params as JsonObject }, CONTEXT);
    const shown = `${JSON.stringify(transport.delivered[0])}${seen.join('')}${await cs.audit.export()}`;
    for (const secret of [
      'hunter2',
      'abcdef123456',
      'sk_live_abcdefghijklmnop',
      'sk-proj-abcdef',
      'AIzaSyA123',
      '"abc"',
      '"k1"',
      '"p"',
    ]) {
      expect(shown).not.toContain(secret);
    }
  });

  test('counts of tokens are not secrets', async () => {
    const { cs, transport } = setup();
    await cs.open({ name: 'infra.deploy', params: { maxTokens: 512, promptTokens: 3 } }, CONTEXT);
    expect(transport.delivered[0]!.action.params).toEqual({ maxTokens: 512, promptTokens: 3 });
  });
});

describe('wrap() runs the function with exactly what was approved', () => {
  test('changing the caller object while the request waits changes nothing', async () => {
    const { cs, transport } = setup();
    const deleteRows = cs.wrap(
      { name: 'infra.deploy' },
      (input: { where: string }) => `DELETE FROM t WHERE ${input.where}`,
    );
    const input = { where: 'id = 42' };
    const outcome = deleteRows(input, CONTEXT);
    const request = await transport.nextDelivery();
    expect(request.action.params).toEqual({ where: 'id = 42' });
    input.where = '1 = 1';
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await outcome).toBe('DELETE FROM t WHERE id = 42');
  });

  test('a getter answering differently on a second read changes nothing', async () => {
    const { cs } = setup();
    let reads = 0;
    const input = Object.defineProperty({}, 'table', {
      enumerable: true,
      get: () => (++reads === 1 ? 'orders' : 'users'),
    }) as { table: string };
    const read = cs.wrap({ name: 'db.read' }, (i: { table: string }) => `SELECT * FROM ${i.table}`);
    expect(await read(input, CONTEXT)).toBe('SELECT * FROM orders');
  });

  test('input structuredClone cannot copy is a ValidationError and nothing runs', async () => {
    const { cs } = setup();
    let ran = false;
    const call = cs.wrap({ name: 'db.read' }, () => {
      ran = true;
    });
    const error = await call({ callback: () => 1 } as never, CONTEXT).catch((e: unknown) => e);
    expect(isCountersignError(error, ErrorCode.InvalidInput)).toBe(true);
    expect(ran).toBe(false);
  });
});
