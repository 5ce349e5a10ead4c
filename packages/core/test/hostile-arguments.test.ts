// Throwing getters and proxies whose traps throw, at every entry point and depth: a typed error, nothing written.
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  type Countersign,
  type CountersignOptions,
  createCountersign,
  ErrorCode,
  isCountersignError,
  type Store,
} from '../src/index.js';
import type { PolicyRule } from '../src/model/rule.js';
import { createRecordingTransport, createTestClock } from '../src/testing/index.js';
import { CONTEXT, overrideStore } from './helpers.js';

const POLICY: PolicyRule[] = [
  { id: 'reads', match: { action: 'db.read' }, effect: 'allow' },
  {
    id: 'exports',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
    editable: ['tables'],
  },
];
const DIRECTORY = { 'user:bob': { groups: ['owners'] } };
const EXPORT = { name: 'db.export', params: { tables: ['orders', 'customers'] } };
const WRITES = [
  'createRequest',
  'updateRequest',
  'updateRequests',
  'createGrant',
  'consumeGrant',
  'revokeGrant',
  'appendAudit',
  'updateRequestAndCreateGrant',
  'claimApproved',
  'revokeGrantAndUpdateRequest',
  'createReuseWindow',
  'useReuseWindow',
  'revokeReuseWindow',
] as const;

/** Puts a hostile value where `valid` goes: `key` is the member a throwing getter replaces. */
type Wrap = <T extends object>(valid: T, key: string) => T;

interface Env {
  cs: Countersign;
  /** A pending request, for decisions. */
  request: { id: string; paramsHash: string };
  /** Store writes since the hostile call began. */
  writes: () => number;
  ran: boolean;
  options: () => CountersignOptions;
}

async function makeEnv(): Promise<Env> {
  const memory = createMemoryStore();
  let writes = 0;
  const counted: Partial<Record<keyof Store, unknown>> = {};
  for (const method of WRITES) {
    counted[method] = (...args: unknown[]) => {
      writes += 1;
      return Reflect.apply(memory[method] as (...a: unknown[]) => unknown, memory, args);
    };
  }
  const options = (): CountersignOptions => ({
    store: createMemoryStore(),
    transports: [createRecordingTransport()],
    directory: { ...DIRECTORY },
    policy: POLICY.map((rule) => ({ ...rule })),
    clock: createTestClock(),
  });
  const cs = createCountersign({ ...options(), store: overrideStore(memory, counted) });
  const opened = await cs.open(EXPORT, CONTEXT);
  if (opened.status !== 'pending') throw new Error('expected a pending request');
  const request = (await cs.getRequest(opened.requestId))!;
  const env: Env = {
    cs,
    request: { id: request.id, paramsHash: request.action.paramsHash },
    writes: () => writes,
    ran: false,
    options,
  };
  writes = 0;
  return env;
}

interface Position {
  entry: string;
  at: string;
  /** createCountersign's options are configuration: ConfigError. */
  kind: 'input' | 'config';
  call(env: Env, wrap: Wrap): unknown;
}

const readCall = (env: Env, params: Record<string, unknown> = { table: 'customers' }) => ({
  name: 'db.read',
  params,
  run: () => {
    env.ran = true;
    return 'ran';
  },
});

const POSITIONS: Position[] = [
  {
    entry: 'guard',
    at: 'action',
    kind: 'input',
    call: (e, w) => e.cs.guard(w(readCall(e), 'name'), CONTEXT),
  },
  {
    entry: 'guard',
    at: 'context',
    kind: 'input',
    call: (e, w) => e.cs.guard(readCall(e), w({ ...CONTEXT }, 'actor')),
  },
  {
    entry: 'guard',
    at: 'context.signal',
    kind: 'input',
    call: (e, w) =>
      e.cs.guard(readCall(e), { ...CONTEXT, signal: w(new AbortController().signal, 'aborted') }),
  },
  {
    entry: 'guard',
    at: 'action.params',
    kind: 'input',
    call: (e, w) => e.cs.guard(readCall(e, w({ table: 'customers' }, 'table')), CONTEXT),
  },
  {
    entry: 'guard',
    at: 'action.params.a.b[0]',
    kind: 'input',
    call: (e, w) => e.cs.guard(readCall(e, { a: { b: [w({ c: 1 }, 'c')] } }), CONTEXT),
  },
  {
    entry: 'open',
    at: 'context',
    kind: 'input',
    call: (e, w) => e.cs.open(EXPORT, w({ ...CONTEXT }, 'reason')),
  },
  {
    entry: 'check',
    at: 'action',
    kind: 'input',
    call: (e, w) => e.cs.check(w({ ...EXPORT }, 'params'), CONTEXT),
  },
  {
    entry: 'decide',
    at: 'decision',
    kind: 'input',
    call: (e, w) => e.cs.decide(e.request.id, w({ approver: 'user:bob', outcome: 'approve' }, 'outcome')),
  },
  {
    entry: 'decide',
    at: 'decision.edit',
    kind: 'input',
    call: (e, w) =>
      e.cs.decide(e.request.id, {
        approver: 'user:bob',
        outcome: 'approve',
        edit: w({ tables: ['orders'] }, 'tables'),
      }),
  },
  {
    entry: 'decide',
    at: 'decision.edit.tables',
    kind: 'input',
    call: (e, w) =>
      e.cs.decide(e.request.id, {
        approver: 'user:bob',
        outcome: 'approve',
        edit: { tables: w(['orders'], '0') },
      }),
  },
  {
    entry: 'decideBatch',
    at: 'batch.requests[0]',
    kind: 'input',
    call: (e, w) =>
      e.cs.decideBatch({
        approver: 'user:bob',
        outcome: 'approve',
        requests: [w({ ...e.request }, 'paramsHash')],
      }),
  },
  {
    entry: 'decideBatch',
    at: 'batch.requests',
    kind: 'input',
    call: (e, w) =>
      e.cs.decideBatch({ approver: 'user:bob', outcome: 'approve', requests: w([{ ...e.request }], '0') }),
  },
  {
    entry: 'createCountersign',
    at: 'options',
    kind: 'config',
    call: (e, w) => createCountersign(w(e.options(), 'policy')).close(),
  },
  {
    entry: 'createCountersign',
    at: 'options.policy',
    kind: 'config',
    call: (e, w) => createCountersign({ ...e.options(), policy: w(e.options().policy.slice(), '1') }).close(),
  },
  {
    entry: 'createCountersign',
    at: 'options.policy[1]',
    kind: 'config',
    call: (e, w) => {
      const rule = w({ ...POLICY[1]! }, 'match');
      return createCountersign({ ...e.options(), policy: [POLICY[0]!, rule] }).close();
    },
  },
  {
    entry: 'createCountersign',
    at: 'options.policy[1].approvers.users',
    kind: 'config',
    call: (e, w) => {
      const rule = { ...POLICY[1]!, approvers: { users: w(['user:bob', 'user:carol'], '0') } };
      return createCountersign({ ...e.options(), policy: [POLICY[0]!, rule] }).close();
    },
  },
  {
    entry: 'createCountersign',
    at: 'options.directory["user:bob"]',
    kind: 'config',
    call: (e, w) =>
      createCountersign({
        ...e.options(),
        directory: { 'user:bob': w({ groups: ['owners'] }, 'groups') },
      }).close(),
  },
  {
    entry: 'createCountersign',
    at: 'options.transports[0]',
    kind: 'config',
    call: (e, w) =>
      createCountersign({ ...e.options(), transports: [w(createRecordingTransport(), 'name')] }).close(),
  },
  {
    entry: 'createCountersign',
    at: 'options.redact',
    kind: 'config',
    call: (e, w) => createCountersign({ ...e.options(), redact: w(['auth.token'], '0') }).close(),
  },
  {
    entry: 'createCountersign',
    at: 'options.clock',
    kind: 'config',
    call: (e, w) => createCountersign({ ...e.options(), clock: w(createTestClock(), 'now') }).close(),
  },
  {
    entry: 'createCountersign',
    at: 'options.store',
    kind: 'config',
    call: (e, w) =>
      createCountersign({ ...e.options(), store: w(createMemoryStore(), 'getRequest') }).close(),
  },
  {
    entry: 'explain',
    at: 'subject',
    kind: 'input',
    call: (e, w) => e.cs.explain(w({ action: 'db.read', actor: 'agent:bot' }, 'actor')),
  },
  {
    entry: 'explain',
    at: 'subject.params.a[0]',
    kind: 'input',
    call: (e, w) =>
      e.cs.explain({ action: 'db.read', actor: 'agent:bot', params: { a: [w({ b: 1 }, 'b')] } }),
  },
  {
    entry: 'grants.consume',
    at: 'check',
    kind: 'input',
    call: (e, w) => e.cs.grants.consume('t'.repeat(43), w({ name: 'db.read', sessionId: 's' }, 'name')),
  },
  {
    entry: 'grants.consume',
    at: 'check.params.x',
    kind: 'input',
    call: (e, w) =>
      e.cs.grants.consume('t'.repeat(43), {
        name: 'db.read',
        sessionId: 's',
        params: { x: w({ y: 1 }, 'y') },
      }),
  },
  {
    entry: 'audit.verify',
    at: 'options',
    kind: 'input',
    call: (e, w) => e.cs.audit.verify(w({ allowPruned: false }, 'allowPruned')),
  },
  {
    entry: 'audit.verify',
    at: 'options.head',
    kind: 'input',
    call: (e, w) => e.cs.audit.verify({ head: w({ seq: 1, hash: '0'.repeat(64) }, 'seq') }),
  },
  {
    entry: 'audit.entries',
    at: 'afterSeq (an object where a number goes)',
    kind: 'input',
    call: (e, w) => e.cs.audit.entries(w({}, 'x') as never),
  },
  {
    entry: 'recordRefusal',
    at: 'refusal',
    kind: 'input',
    call: (e, w) =>
      e.cs.recordRefusal(e.request.id, w({ approver: 'user:eve', via: 'api', why: 'no' }, 'why')),
  },
  {
    entry: 'revokeReuse',
    at: 'revocation',
    kind: 'input',
    call: (e, w) => e.cs.revokeReuse(e.request.id, w({ by: 'user:bob' }, 'by')),
  },
];

const TRAPS = ['get', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'has'] as const;
const EVERY_TRAP = [
  ...TRAPS,
  'set',
  'defineProperty',
  'deleteProperty',
  'isExtensible',
  'preventExtensions',
  'setPrototypeOf',
] as const;

interface Variant {
  wrap: Wrap;
  /** Whether the hostile part was certainly met: then the call must be refused. */
  met: () => boolean;
}

const thrown = () => new Error('caller secret: hunter2');

const VARIANTS: Record<string, () => Variant> = {
  'a throwing getter': () => {
    let met = false;
    return {
      wrap: (valid, key) =>
        Object.defineProperty(valid, key, {
          enumerable: true,
          configurable: true,
          get() {
            met = true;
            throw thrown();
          },
        }),
      met: () => met,
    };
  },
  'a proxy whose every trap throws': () => ({
    wrap: (valid) => {
      const handler: ProxyHandler<object> = {};
      for (const trap of EVERY_TRAP) {
        handler[trap] = () => {
          throw thrown();
        };
      }
      return new Proxy(valid, handler) as typeof valid;
    },
    met: () => true,
  }),
  ...Object.fromEntries(
    TRAPS.map((trap) => [
      `a proxy whose ${trap} trap throws`,
      (): Variant => {
        let met = false;
        return {
          wrap: (valid) =>
            new Proxy(valid, {
              [trap]: () => {
                met = true;
                throw thrown();
              },
            }) as typeof valid,
          met: () => met,
        };
      },
    ]),
  ),
};

/** 'ok', a countersign error's code, or what escaped. */
async function outcomeOf(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (isCountersignError(error)) return error.code;
    return `escaped: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

const CASES = POSITIONS.flatMap((position) =>
  Object.keys(VARIANTS).map((variant) => [position.entry, position.at, variant, position] as const),
);

describe('hostile arguments: a typed error, nothing written, nothing run (#22)', () => {
  test.each(CASES)('%s(%s) with %s', async (_entry, _at, variantName, position) => {
    const baselineEnv = await makeEnv();
    const baseline = await outcomeOf(() => position.call(baselineEnv, (valid) => valid));
    await baselineEnv.cs.close();
    expect(baseline).not.toMatch(/^escaped/);

    const env = await makeEnv();
    const variant = VARIANTS[variantName]!();
    const outcome = await outcomeOf(() => position.call(env, variant.wrap));
    const refused = position.kind === 'config' ? ErrorCode.InvalidConfig : ErrorCode.InvalidInput;
    // A trap nobody consulted changes nothing; one that threw, or a look-alike, is refused.
    expect([baseline, refused]).toContain(outcome);
    if (variant.met()) expect(outcome).toBe(refused);
    if (outcome === refused) {
      expect(env.writes()).toBe(0);
      expect(env.ran).toBe(false);
    }
    await env.cs.close();
  });

  test('the caller’s thrown error is the cause, and its message is not repeated', async () => {
    const env = await makeEnv();
    const context = Object.defineProperty({ ...CONTEXT }, 'actor', {
      enumerable: true,
      get() {
        throw thrown();
      },
    });
    const error = await env.cs
      .guard(readCall(env, { a: { b: [context] } }), CONTEXT)
      .catch((e: unknown) => e);
    expect(isCountersignError(error, ErrorCode.InvalidInput)).toBe(true);
    expect((error as Error).message).toContain('params.a.b[0].actor');
    expect((error as Error).message).not.toContain('hunter2');
    expect(((error as Error).cause as Error).message).toContain('hunter2');
    await env.cs.close();
  });
});
