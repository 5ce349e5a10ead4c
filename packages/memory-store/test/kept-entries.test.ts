import {
  type AuditDraft,
  canonicalJson,
  IssuedGrantEntries,
  sealAuditEntries,
  verifyAuditLog,
} from '@countersign/core';
import { sampleDraft } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { AuditChain } from '../src/audit-chain.js';

const T = 1_765_000_000_000;

/** Drafts that exercise every way a kept entry is made smaller than the entry it was sealed as. */
function drafts(): AuditDraft[] {
  const action = {
    name: 'db.export',
    resource: 'prod/customers',
    params: { table: 'customers', rows: [1, 2] },
    paramsHash: 'a'.repeat(64),
    redactedPaths: [],
  };
  const allowed: AuditDraft = {
    ...sampleDraft('allowed'),
    at: T + 5,
    grantId: 'grt_1',
    action,
    fingerprint: 'f'.repeat(64),
  };
  const executed: AuditDraft = {
    ...sampleDraft('executed'),
    at: T + 7,
    grantId: 'grt_1',
    action,
    fingerprint: 'f'.repeat(64),
    consumedAt: T + 6,
  };
  return [
    { ...sampleDraft('requested', 'needs 1 of 2 eligible approvers'), at: T },
    { ...sampleDraft('delivered'), at: T - 3, via: 'slack' },
    { ...sampleDraft('approved'), at: T + 0.5, comment: 'ok' },
    { ...sampleDraft('denied'), at: T + 2 ** 40 },
    { ...sampleDraft('reminded'), at: -0 },
    { ...sampleDraft('expired'), at: Number.MAX_SAFE_INTEGER },
    allowed,
    executed,
  ];
}

/** The same drafts sealed on their own, in the same two appends, as `sealAuditEntries` returns them. */
function sealedAlone(): ReturnType<typeof sealAuditEntries> {
  const issued = new IssuedGrantEntries();
  const all = drafts();
  const first = sealAuditEntries(null, all.slice(0, 3), issued);
  const last = first[first.length - 1]!;
  return [...first, ...sealAuditEntries({ seq: last.seq, hash: last.hash }, all.slice(3), issued)];
}

function kept(maxEntries = Number.POSITIVE_INFINITY): AuditChain {
  const chain = new AuditChain(maxEntries);
  const all = drafts();
  chain.append(all.slice(0, 3));
  chain.append(all.slice(3));
  return chain;
}

describe('audit entries kept compact', () => {
  test('read back exactly as sealed: same members in the same order, same values, frozen', () => {
    const expected = sealedAlone();
    const read = kept().read(0, 100);
    expect(read).toHaveLength(expected.length);
    for (let i = 0; i < read.length; i++) {
      const entry = read[i]!;
      const sealed = expected[i]!;
      expect(Object.keys(entry)).toEqual(Object.keys(sealed));
      for (const key of Object.keys(sealed) as (keyof typeof sealed)[]) {
        // Object.is: -0 stays -0, fractional and huge times come back exact.
        if (typeof sealed[key] === 'object' && sealed[key] !== null) expect(entry[key]).toEqual(sealed[key]);
        else expect(Object.is(entry[key], sealed[key])).toBe(true);
      }
      expect(Object.isFrozen(entry)).toBe(true);
      if (entry.action !== null) expect(Object.isFrozen(entry.action.params)).toBe(true);
      if (entry.grantEntry != null) expect(Object.isFrozen(entry.grantEntry)).toBe(true);
    }
    // The outcome names its grant's entry rather than repeating the action.
    expect(read[7]!.grantEntry).toEqual({ seq: read[6]!.seq, hash: read[6]!.hash });
    expect(verifyAuditLog(read.map((entry) => `${canonicalJson(entry)}\n`).join('')).ok).toBe(true);
  });

  test('pages, and pruning keeps each entry its seq and prevHash', () => {
    const all = kept().read(0, 100);
    const chain = kept(3);
    expect(chain.read(0, 100)).toEqual(all.slice(5));
    expect(chain.read(6, 1)).toEqual(all.slice(6, 7));
    expect(chain.read(7, 10)).toEqual(all.slice(7));
    expect(chain.read(8, 10)).toEqual([]);
    expect(chain.head).toEqual({ seq: 8, hash: all[7]!.hash });
    chain.append([sampleDraft('reminded')]);
    const [next] = chain.read(8, 1);
    expect(next).toMatchObject({ seq: 9, prevHash: all[7]!.hash });
    expect(chain.read(0, 100).map((entry) => entry.seq)).toEqual([7, 8, 9]);
  });

  test('a kept entry cannot be edited through what a reader gets', () => {
    const chain = kept();
    const [first] = chain.read(0, 1);
    expect(() => {
      (first as { detail: string | null }).detail = 'edited';
    }).toThrow(TypeError);
    expect(chain.read(0, 1)[0]!.detail).toBe('needs 1 of 2 eligible approvers');
  });
});
