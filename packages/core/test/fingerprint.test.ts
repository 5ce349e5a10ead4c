import { describe, expect, test } from 'vitest';
import { canonicalJson, fingerprintAction, GrantRefusedError, isCountersignError } from '../src/index.js';
import { CONTEXT, setup } from './helpers.js';

describe('canonical JSON (RFC 8785)', () => {
  test('sorts keys by UTF-16 code units at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    // RFC 8785 §3.2.3: "\u20ac" sorts after "\r" and "1", and before the surrogate pair.
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '1': 3, '\ud83d\ude00': 4 })).toBe(
      '{"\\r":2,"1":3,"€":1,"😀":4}',
    );
  });

  test('serialises numbers as ECMAScript does (RFC 8785 §3.2.2.3)', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1, 333333333.3333333, 1.0])).toBe(
      '[1e+21,1e-7,0,0.1,333333333.3333333,1]',
    );
  });

  test('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ a: undefined })).toThrow(/a is undefined/);
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/finite/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
    expect(() => canonicalJson({ a: new Date() })).toThrow(/Date/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(/circular/);
    // biome-ignore lint/suspicious/noSparseArray: a hole is exactly what must be refused.
    expect(() => canonicalJson({ a: [1, , 3] })).toThrow(/a\[1\] is a hole/);
  });
});

describe('fingerprint', () => {
  const base = {
    name: 'db.export',
    resource: 'prod/customers',
    params: { table: 'customers', format: 'csv' },
  };

  test('is the SHA-256 of the canonical action, independent of key order', () => {
    const reordered = {
      name: 'db.export',
      resource: 'prod/customers',
      params: { format: 'csv', table: 'customers' },
    };
    expect(fingerprintAction(base)).toBe(fingerprintAction(reordered));
    expect(fingerprintAction(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('changes with the name, the resource or any param', () => {
    const fp = fingerprintAction(base);
    expect(fingerprintAction({ ...base, name: 'db.exports' })).not.toBe(fp);
    expect(fingerprintAction({ ...base, resource: 'prod/orders' })).not.toBe(fp);
    expect(fingerprintAction({ ...base, resource: null })).not.toBe(fp);
    expect(fingerprintAction({ ...base, params: { ...base.params, format: 'json' } })).not.toBe(fp);
  });

  test('a grant is refused for other params, another resource, another session, or a second use', async () => {
    const { cs } = setup();
    let token = '';
    await cs.guard(
      {
        name: 'db.read',
        resource: 'prod/customers',
        params: { id: 1 },
        run: (g) => {
          token = g.token;
        },
      },
      CONTEXT,
    );
    // The grant is revoked once run returns, so check inside run for the mismatch cases.
    const refusals: string[] = [];
    await cs.guard(
      {
        name: 'db.read',
        resource: 'prod/customers',
        params: { id: 1 },
        run: async (grant) => {
          const check = {
            name: 'db.read',
            resource: 'prod/customers',
            params: { id: 1 },
            sessionId: 'sess_42',
          };
          for (const wrong of [
            { ...check, params: { id: 2 } },
            { ...check, resource: 'prod/orders' },
            { ...check, name: 'db.readAll' },
            { ...check, sessionId: 'sess_other' },
          ]) {
            const error = await cs.grants.consume(grant.token, wrong).catch((e: unknown) => e);
            if (error instanceof GrantRefusedError) refusals.push(error.reason);
          }
          await cs.grants.consume(grant.token, check);
          const replay = await cs.grants.consume(grant.token, check).catch((e: unknown) => e);
          if (isCountersignError(replay, 'grant_refused'))
            refusals.push((replay as GrantRefusedError).reason);
        },
      },
      CONTEXT,
    );
    expect(refusals).toEqual([
      'action_mismatch',
      'action_mismatch',
      'action_mismatch',
      'session_mismatch',
      'consumed',
    ]);
    const afterRun = await cs.grants
      .consume(token, {
        name: 'db.read',
        resource: 'prod/customers',
        params: { id: 1 },
        sessionId: 'sess_42',
      })
      .catch((e: unknown) => e);
    expect((afterRun as GrantRefusedError).reason).toBe('revoked');
    const unknown = await cs.grants
      .consume('cst_forged', { name: 'db.read', sessionId: 'sess_42' })
      .catch((e: unknown) => e);
    expect((unknown as GrantRefusedError).reason).toBe('unknown');
  });
});
