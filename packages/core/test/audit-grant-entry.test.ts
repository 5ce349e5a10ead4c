// Version 2 entries: an outcome names the entry that issued its grant, and the verifier holds it to that.
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  AuditActions,
  type AuditEntry,
  createCountersign,
  GENESIS_HASH,
  IssuedGrantEntries,
  sealAuditEntries,
  verifyAuditLog,
} from '../src/index.js';
import { hashAuditEntry, toJsonLines } from '../src/model/audit.js';
import { sampleDraft } from '../src/testing/index.js';

/** Entries with their hashes and links recomputed in order, as a forger who rewrites the chain would. */
function rechain(entries: readonly Record<string, unknown>[]): AuditEntry[] {
  let prevHash = GENESIS_HASH;
  return entries.map((raw, i) => {
    const { hash: _, ...body } = raw;
    const entry = { ...body, seq: i + 1, prevHash } as unknown as AuditEntry;
    entry.hash = hashAuditEntry(entry);
    prevHash = entry.hash;
    return entry;
  });
}

const READS = [{ id: 'reads-ok', match: { action: 'db.read' }, effect: 'allow' as const }];
const CONTEXT = { actor: 'agent:a', reason: 'a report for Alice', sessionId: 'sess_1' };

async function allowedLog(): Promise<AuditEntry[]> {
  const cs = createCountersign({ store: createMemoryStore(), policy: READS });
  const action = { name: 'db.read', resource: 'prod/x', params: { table: 't', limit: 5 }, run: () => 1 };
  await cs.guard(action, CONTEXT);
  await cs.guard(action, CONTEXT);
  return cs.audit.entries();
}

/** A pair sealed as the memory store seals it: an `allowed` entry and the outcome naming it. */
function issuedPair(): AuditEntry[] {
  const allowed = { ...sampleDraft('allowed'), action: sampleDraft('executed').action };
  const executed = { ...sampleDraft('executed'), action: allowed.action };
  return sealAuditEntries(null, [allowed, executed], new IssuedGrantEntries());
}

describe('an outcome naming the entry that issued its grant', () => {
  test("a forged reference fails as bad_grant_entry: a later entry, an entry that issued nothing, a wrong hash, another call's grant", () => {
    const [allowed, executed] = issuedPair() as [AuditEntry, AuditEntry];
    const other = {
      ...sampleDraft('requested'),
      formatVersion: 2,
      grantEntry: null,
      seq: 0,
      prevHash: '',
      hash: '',
    };
    const cases: [string, Record<string, unknown>[]][] = [
      ['itself', [allowed, { ...executed, grantEntry: { seq: 2, hash: allowed.hash } }]],
      [
        'an entry that issued no grant',
        [other, allowed, { ...executed, grantEntry: { seq: 1, hash: allowed.hash } }],
      ],
      ['a wrong hash', [allowed, { ...executed, grantEntry: { seq: 1, hash: 'e'.repeat(64) } }]],
      ['another grant', [{ ...allowed, grantId: 'grt_other' }, executed]],
      ['another call', [{ ...allowed, fingerprint: 'f'.repeat(64) }, executed]],
      [
        'a grant already ended',
        [allowed, executed, { ...executed, grantEntry: { seq: 1, hash: allowed.hash } }],
      ],
    ];
    for (const [what, entries] of cases) {
      const chained = rechain(entries);
      const last = chained.length;
      // The rewritten reference must point at the rewritten chain's own entry 1 where it meant to.
      if (what !== 'a wrong hash' && what !== 'itself' && what !== 'an entry that issued no grant') {
        (chained[last - 1] as { grantEntry: unknown }).grantEntry = { seq: 1, hash: chained[0]!.hash };
      }
      const result = verifyAuditLog(toJsonLines(rechain(chained as unknown as Record<string, unknown>[])));
      expect({ what, ...result }).toMatchObject({ what, ok: false, code: 'bad_grant_entry', line: last });
    }
  });

  test('an outcome that carries neither its action nor a reference, or both, breaks the type rule', () => {
    const [allowed, executed] = issuedPair() as [AuditEntry, AuditEntry];
    const neither = rechain([allowed, { ...executed, action: null, grantEntry: null }]);
    const both = rechain([allowed, { ...executed, action: allowed.action }]);
    const onAllowed = rechain([{ ...allowed, grantEntry: { seq: 1, hash: 'a'.repeat(64) } }]);
    for (const log of [neither, both, onAllowed]) {
      expect(verifyAuditLog(toJsonLines(log))).toMatchObject({ ok: false, code: 'type_rule' });
    }
  });

  test('a formatVersion this verifier does not know is malformed, saying so', () => {
    const [allowed] = issuedPair() as [AuditEntry];
    const result = verifyAuditLog(toJsonLines(rechain([{ ...allowed, formatVersion: 3 }])));
    expect(result).toMatchObject({ ok: false, code: 'malformed', line: 1 });
    expect(!result.ok && result.problem).toMatch(/"formatVersion" 3 is not a version this verifier knows/);
  });

  test('version 1 entries (no formatVersion, no grantEntry) still verify, alone and before version 2 ones', () => {
    const v1 = (type: 'requested' | 'allowed') => {
      const { formatVersion: _f, grantEntry: _g, ...draft } = sampleDraft(type);
      return { ...draft, seq: 0, prevHash: '', hash: '' };
    };
    const old = rechain([v1('requested'), v1('allowed')]);
    expect(Object.keys(old[0]!)).toHaveLength(20);
    expect(verifyAuditLog(toJsonLines(old))).toMatchObject({ ok: true, entries: 2 });
    const allowed = { ...sampleDraft('allowed'), action: sampleDraft('executed').action };
    const after = sealAuditEntries(
      { seq: 2, hash: old[1]!.hash },
      [allowed, { ...sampleDraft('executed'), action: allowed.action }],
      new IssuedGrantEntries(),
    );
    expect(after[1]!.grantEntry).toEqual({ seq: 3, hash: after[0]!.hash });
    const mixed = [...old, ...after];
    expect(verifyAuditLog(toJsonLines(mixed))).toMatchObject({ ok: true, entries: 4 });
  });

  test('a pruned log may name an entry before its first; without allowPruned, the log fails as pruned', () => {
    const log = issuedPair();
    expect(verifyAuditLog(toJsonLines(log.slice(1)), { allowPruned: true })).toMatchObject({ ok: true });
    expect(verifyAuditLog(toJsonLines(log.slice(1)))).toMatchObject({ ok: false, code: 'pruned' });
  });

  test('an allowed call writes its outcome naming its allowed entry, and an auditor reads the action from it', async () => {
    const entries = await allowedLog();
    expect(entries.map((entry) => entry.type)).toEqual(['allowed', 'executed', 'allowed', 'executed']);
    const [allowed, executed] = entries as [AuditEntry, AuditEntry];
    expect(executed.action).toBeNull();
    expect(executed.grantEntry).toEqual({ seq: allowed.seq, hash: allowed.hash });
    expect([executed.actor, executed.reason, executed.ruleId, executed.fingerprint]).toEqual([
      allowed.actor,
      allowed.reason,
      allowed.ruleId,
      allowed.fingerprint,
    ]);
    expect(verifyAuditLog(toJsonLines(entries))).toMatchObject({ ok: true, entries: 4 });
    const actions = new AuditActions();
    const read = entries.map((entry) => actions.read(entry));
    expect(read[1]).toEqual(allowed.action);
    expect(read[3]?.params).toEqual({ table: 't', limit: 5 });
  });
});
