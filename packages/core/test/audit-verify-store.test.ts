// cs.audit.verify() reads entries from the store, where the verifier takes a shorter way for entries in the shape core
// writes: whatever was changed, it must fail exactly where and as the export of the same entries fails.
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  type AuditEntry,
  type AuditHead,
  createCountersign,
  IssuedGrantEntries,
  sealAuditEntries,
  type VerifyOptions,
  type VerifyResult,
  verifyAuditLog,
} from '../src/index.js';
import { sha256Hex } from '../src/lib/ids.js';
import { hashAuditEntry, isPlainAuditEntry, knownEntryParts, toJsonLines } from '../src/model/audit.js';
import { sampleDraft } from '../src/testing/index.js';
import { overrideStore } from './helpers.js';

type Raw = Record<string, unknown>;

const ACTION = {
  name: 'db.export',
  resource: 'prod/customers',
  params: { table: 'customers', filter: { region: ['eu', { tier: 2, note: 'ü "q"' }], since: 1.5 } },
  paramsHash: 'c'.repeat(64),
  redactedPaths: ['filter.secret'],
};

/** Requested, decided, allowed, its outcome naming it, consumed, requested: entries of both kinds of reference. */
function sealedLog(): AuditEntry[] {
  const allowed = { ...sampleDraft('allowed'), action: ACTION };
  return sealAuditEntries(
    null,
    [
      { ...sampleDraft('requested', 'one'), action: ACTION },
      sampleDraft('decided'),
      allowed,
      { ...sampleDraft('executed'), action: allowed.action },
      sampleDraft('consumed'),
      { ...sampleDraft('requested', 'two'), action: ACTION },
    ],
    new IssuedGrantEntries(),
  );
}

/** Entries from `from` on with their hashes and links recomputed, as a forger who rewrites the chain would. */
function rechain(entries: Raw[], from: number): Raw[] {
  const out = entries.slice();
  for (let i = from; i < out.length; i++) {
    const previous = out[i - 1];
    const entry: Raw = { ...out[i], prevHash: previous === undefined ? out[i]!.prevHash : previous.hash };
    entry.hash = hashAuditEntry(entry as unknown as AuditEntry);
    out[i] = entry;
  }
  return out;
}

/** A changed value of the same JSON type where there is one, so the entry stays well formed. */
function changed(value: unknown): unknown {
  if (typeof value === 'string') return /^[0-9a-f]{64}$/.test(value) ? 'd'.repeat(64) : `${value}x`;
  if (typeof value === 'number') return value + 1;
  if (value === null) return 'x';
  return { ...(value as Raw), changed: true };
}

/** A forger's hash: over what the verifier's own encoding makes of the entry, so only the shape check can catch it. */
function byEncoding(stored: Raw): string {
  try {
    return sha256Hex(knownEntryParts(stored as unknown as AuditEntry).join(''));
  } catch {
    return 'f'.repeat(64);
  }
}

async function verifyFromStore(entries: readonly unknown[], options?: VerifyOptions): Promise<VerifyResult> {
  const store = overrideStore(createMemoryStore(), {
    readAudit: async (afterSeq: number, limit: number) => (afterSeq === 0 ? entries.slice(0, limit) : []),
  });
  const cs = createCountersign({ store, policy: [] });
  try {
    return await cs.audit.verify(options);
  } finally {
    await cs.close();
  }
}

/** The export's verdict without what only an export has (its line), and without the wording of where. */
function verdict(result: VerifyResult) {
  return result.ok
    ? result
    : { ok: false, code: result.code, entries: result.entries, brokenAt: result.brokenAt };
}

async function expectSameVerdict(what: string, entries: Raw[], options?: VerifyOptions) {
  const exported = verifyAuditLog(toJsonLines(entries as unknown as AuditEntry[]), options);
  const stored = await verifyFromStore(entries, options);
  expect({ what, ...verdict(stored) }).toEqual({ what, ...verdict(exported) });
  return stored;
}

describe('cs.audit.verify() fails where and as the export of the same entries fails', () => {
  const log = sealedLog() as unknown as Raw[];
  const head: AuditHead = { seq: 6, hash: log[5]!.hash as string };

  test('the unchanged log verifies, and so does one whose params members are stored in another order', async () => {
    expect(await expectSameVerdict('unchanged', log, { head })).toMatchObject({ ok: true, entries: 6 });
    const action = log[2]!.action as Raw;
    const params = action.params as Raw;
    const reordered = {
      ...log[2],
      action: { ...action, params: { filter: params.filter, table: params.table } },
    };
    const entries = log.map((entry, i) => (i === 2 ? reordered : entry));
    expect(await expectSameVerdict('params reordered', entries)).toMatchObject({ ok: true });
  });

  test('any member of any entry after the first changed, with or without its hash recomputed', async () => {
    for (let i = 1; i < log.length; i++) {
      for (const key of Object.keys(log[i]!)) {
        const entries = log.map((entry, k) => (k === i ? { ...entry, [key]: changed(entry[key]) } : entry));
        const result = await expectSameVerdict(`entry ${i + 1} ${key}`, entries);
        expect({ key, ok: result.ok }).toEqual({ key, ok: false });
        if (key === 'hash' || key === 'prevHash') continue;
        const forged = await expectSameVerdict(`entry ${i + 1} ${key}, rehashed`, rechain(entries, i), {
          head,
        });
        expect({ key, ok: forged.ok }).toEqual({ key, ok: false });
      }
    }
  });

  test('a value changed deep inside the params, or a member added there', async () => {
    const deep = (edit: (params: Raw) => Raw) =>
      log.map((entry, i) => {
        if (i !== 2) return entry;
        const action = entry.action as Raw;
        return { ...entry, action: { ...action, params: edit(action.params as Raw) } };
      });
    const region = (value: unknown) => (params: Raw) => ({
      ...params,
      filter: { ...(params.filter as Raw), region: ['eu', value] },
    });
    for (const [what, entries] of [
      ['a nested string', deep(region({ tier: 2, note: 'ü "Q"' }))],
      ['a nested number', deep(region({ tier: 3, note: 'ü "q"' }))],
      ['a nested member added', deep(region({ tier: 2, note: 'ü "q"', extra: null }))],
      ['an array item removed', deep((params) => ({ ...params, filter: { region: ['eu'], since: 1.5 } }))],
    ] as const) {
      expect(await expectSameVerdict(what, entries)).toMatchObject({
        ok: false,
        code: 'altered',
        brokenAt: 3,
      });
    }
  });

  test('entries removed, reordered, inserted or repeated, and links that do not hold', async () => {
    const without = (i: number) => log.filter((_, k) => k !== i);
    const cases: [string, Raw[], VerifyOptions?][] = [
      ['entry 3 removed', without(2)],
      ['the last entry removed, with the head', without(5), { head }],
      ['entries 3 and 4 swapped', [log[0]!, log[1]!, log[3]!, log[2]!, log[4]!, log[5]!]],
      ['entry 2 repeated', [log[0]!, log[1]!, log[1]!, ...log.slice(2)]],
      ['an entry inserted and chained', rechain([...log.slice(0, 3), { ...log[1]! }, ...log.slice(3)], 3)],
      [
        'entry 2 changed and the chain rewritten after it, with the head',
        rechain(
          log.map((entry, i) => (i === 1 ? { ...entry, detail: 'rewritten' } : entry)),
          1,
        ),
        { head },
      ],
      [
        'seq renumbered',
        log.map((entry, i) => (i >= 3 ? { ...entry, seq: (entry.seq as number) + 1 } : entry)),
      ],
    ];
    for (const [what, entries, options] of cases) {
      const result = await expectSameVerdict(what, entries, options);
      expect({ what, ok: result.ok }).toEqual({ what, ok: false });
    }
  });

  test('an outcome naming another entry, a wrong hash, or a later entry as its grant entry', async () => {
    const refs = [
      { seq: 2, hash: log[1]!.hash },
      { seq: 3, hash: 'e'.repeat(64) },
      { seq: 5, hash: log[4]!.hash },
      { seq: 3, hash: 'E'.repeat(64) },
    ];
    for (const grantEntry of refs) {
      const entries = rechain(
        log.map((entry, i) => (i === 3 ? { ...entry, grantEntry } : entry)),
        3,
      );
      const result = await expectSameVerdict(`grantEntry ${JSON.stringify(grantEntry)}`, entries);
      expect(result).toMatchObject({ ok: false, brokenAt: 4 });
    }
  });

  test('members added, removed, of another type, or a format version it does not know', async () => {
    const at2 = (edit: (entry: Raw) => Raw) =>
      rechain(
        log.map((entry, i) => (i === 2 ? edit(entry) : entry)),
        2,
      );
    const cases: [string, Raw[]][] = [
      ['an added member', at2((entry) => ({ ...entry, approvedBy: 'user:ceo' }))],
      ['a removed member', at2(({ approver: _, ...entry }) => entry)],
      ['formatVersion 3', at2((entry) => ({ ...entry, formatVersion: 3 }))],
      ['no formatVersion', at2(({ formatVersion: _, ...entry }) => entry)],
      ['a string seq', at2((entry) => ({ ...entry, seq: '3' }))],
      ['an unknown type', at2((entry) => ({ ...entry, type: 'approved_by_ceo' }))],
      ['a member its type does not allow', at2((entry) => ({ ...entry, consumedAt: 1 }))],
      [
        'a member added to the action',
        at2((entry) => ({ ...entry, action: { ...(entry.action as Raw), x: 1 } })),
      ],
      [
        'an uppercase prevHash',
        log.map((entry, i) => (i === 2 ? { ...entry, prevHash: 'A'.repeat(64) } : entry)),
      ],
    ];
    for (const [what, entries] of cases) {
      expect((await expectSameVerdict(what, entries)).ok).toBe(false);
    }
  });

  test('a member of another JSON type, hashed as the fast encoding writes it, fails as malformed', async () => {
    const values: unknown[] = [7, '7', true, null, ['7'], [7], { x: '7' }, { x: '7', [Symbol('s')]: 1 }];
    const variants = (record: Raw, edit: (changed: Raw) => Raw) =>
      Object.keys(record).flatMap((key) =>
        values.map(
          (value) => [`${key}: ${JSON.stringify(value)}`, edit({ ...record, [key]: value })] as const,
        ),
      );
    for (const i of [1, 2, 3]) {
      const entry = log[i]!;
      const edits = [
        ...variants(entry, (changed) => changed),
        ...variants(ACTION, (action) => ({ ...entry, action })),
        ...(entry.grantEntry === null
          ? []
          : variants(entry.grantEntry as Raw, (ref) => ({ ...entry, grantEntry: ref }))),
      ];
      for (const [what, stored] of edits) {
        if (what.startsWith('hash:')) continue;
        const entries = log.map((e, k) => (k === i ? { ...stored, hash: byEncoding(stored) } : e));
        if (isPlainAuditEntry(stored)) {
          await expectSameVerdict(`entry ${i + 1} ${what}`, entries);
          continue;
        }
        // Not always what its export fails as: an export cannot carry a symbol member, say.
        const result = await verifyFromStore(entries);
        expect({ what, ...verdict(result) }).toEqual({
          what,
          ok: false,
          code: 'malformed',
          entries: i,
          brokenAt: i + 1,
        });
      }
    }
  });

  test('an entry whose hash leaves out an extra member, or whose link was changed and rehashed', async () => {
    /** Entry 3 as stored, and as hashed: a forger's hash over what the entry should have been. */
    const forged = (stored: Raw, hashed: Raw) => {
      const hash = hashAuditEntry(hashed as unknown as AuditEntry);
      return log.map((entry, i) => (i === 2 ? { ...stored, hash } : entry));
    };
    const entry = log[2]!;
    const action = entry.action as Raw;
    const cases: [string, Raw[]][] = [
      ['an extra member left out of the hash', forged({ ...entry, approvedBy: 'user:ceo' }, entry)],
      [
        'an extra action member left out of the hash',
        forged({ ...entry, action: { ...action, x: 1 } }, entry),
      ],
      [
        'prevHash changed',
        forged({ ...entry, prevHash: 'd'.repeat(64) }, { ...entry, prevHash: 'd'.repeat(64) }),
      ],
      ['seq a string', forged({ ...entry, seq: '3' }, entry)],
      ['seq fractional', forged({ ...entry, seq: 3.5 }, { ...entry, seq: 3.5 })],
    ];
    for (const [what, entries] of cases) {
      const result = await expectSameVerdict(what, entries);
      expect({ what, ...verdict(result) }).toMatchObject({ what, ok: false, brokenAt: 3 });
    }
  });

  test('an entry that is not plain JSON data fails as malformed', async () => {
    class Entry {}
    const cases: [string, unknown][] = [
      ['a class instance', Object.assign(new Entry(), log[2])],
      ['a symbol member', { ...log[2], [Symbol('s')]: 1 }],
      ['an undefined member', { ...log[2], detail: undefined }],
      [
        'a Date in the params',
        { ...log[2], action: { ...(log[2]!.action as Raw), params: { at: new Date(0) } } },
      ],
      [
        'an action with a symbol member',
        { ...log[2], action: { ...(log[2]!.action as Raw), [Symbol('s')]: 1 } },
      ],
      [
        'an action that is a class instance',
        { ...log[2], action: Object.assign(new Entry(), log[2]!.action) },
      ],
    ];
    for (const [what, entry] of cases) {
      // Hashed as the verifier would encode it, so only the shape check stands between it and a pass.
      const forged = Object.assign(Object.create(Object.getPrototypeOf(entry)), entry, {
        hash: byEncoding(entry as Raw),
      });
      const result = await verifyFromStore(log.map((e, i) => (i === 2 ? forged : e)));
      expect({ what, ...verdict(result) }).toEqual({
        what,
        ok: false,
        code: 'malformed',
        entries: 2,
        brokenAt: 3,
      });
    }
  });
});
