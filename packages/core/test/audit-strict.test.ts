import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  type AuditEntry,
  type AuditHead,
  canonicalJson,
  createCountersign,
  type Store,
  sealAuditEntries,
  verifyAuditLog,
} from '../src/index.js';
import { createRecordingTransport, sampleDraft, sampleRequest } from '../src/testing/index.js';
import { overrideStore } from './helpers.js';

/** A chain whose entries carry an action, so nested members can be tampered with too. */
function chain(n: number): AuditEntry[] {
  const { action } = sampleRequest();
  return sealAuditEntries(
    null,
    Array.from({ length: n }, (_, i) => ({ ...sampleDraft('decided', `step ${i + 1}`), action })),
  );
}

const lines = (entries: readonly AuditEntry[]) => entries.map((entry) => canonicalJson(entry));
const headOf = (entries: readonly AuditEntry[]): AuditHead => ({
  seq: entries.length,
  hash: entries[entries.length - 1]!.hash,
});

/** The export of a 3-entry chain with line 2 rewritten by `edit`, checked against the kept head. */
function tamperedLine(edit: (line: string) => string) {
  const entries = chain(3);
  const text = lines(entries);
  text[1] = edit(text[1]!);
  return verifyAuditLog(`${text.join('\n')}\n`, { head: headOf(entries) });
}

describe('verifyAuditLog accepts no extra bytes', () => {
  test('an added member fails, even against the kept head', () => {
    const result = tamperedLine((line) => line.replace(/^\{/, '{"approvedBy":"user:ceo",'));
    expect(result).toEqual({
      ok: false,
      code: 'malformed',
      entries: 1,
      brokenAt: 2,
      line: 2,
      problem: 'line 2 is malformed: member "approvedBy" is not part of the entry format',
    });
  });

  test('a member added inside the action fails', () => {
    const result = tamperedLine((line) => line.replace('{"action":{', '{"action":{"approvedBy":"user:ceo",'));
    expect(result).toMatchObject({
      ok: false,
      brokenAt: 2,
      problem: 'line 2 is malformed: member "action.approvedBy" is not part of the entry format',
    });
  });

  test('a member appended at the end of an otherwise valid entry fails', () => {
    const result = tamperedLine((line) => line.replace(/\}$/, ',"zz":1}'));
    expect(result).toMatchObject({ ok: false, brokenAt: 2, problem: expect.stringMatching(/member "zz"/) });
  });

  test('a duplicated member name fails, whichever value JSON.parse would keep', () => {
    // JSON.parse keeps the last "approver", the genuine one, so the hash alone would still match.
    const result = tamperedLine((line) =>
      line.replace('"approver":"user:bob"', '"approver":"user:ceo","approver":"user:bob"'),
    );
    expect(result).toMatchObject({
      ok: false,
      code: 'repeated_member',
      brokenAt: 2,
      problem: 'line 2 has member "approver" more than once',
    });
    const nested = tamperedLine((line) =>
      line.replace('"name":"db.export"', '"name":"db.drop","name":"db.export"'),
    );
    expect(nested).toMatchObject({ ok: false, problem: 'line 2 has member "action.name" more than once' });
  });

  test('reordered members fail', () => {
    const entries = chain(3);
    const text = lines(entries);
    const { hash, ...body } = entries[1]!;
    text[1] = JSON.stringify({ hash, ...body });
    const result = verifyAuditLog(text.join('\n'), { head: headOf(entries) });
    expect(result).toMatchObject({
      ok: false,
      brokenAt: 2,
      problem: expect.stringMatching(
        /^line 2 is not the canonical encoding of its entry .*at character 3, "hash/,
      ),
    });
  });

  test('extra whitespace fails, inside a line or after it', () => {
    for (const edit of [
      (line: string) => line.replace('"actor":', '"actor": '),
      (line: string) => `${line} `,
      (line: string) => `${line}\r`,
      (line: string) => ` ${line}`,
    ]) {
      expect(tamperedLine(edit)).toMatchObject({
        ok: false,
        brokenAt: 2,
        problem: expect.stringMatching(/^line 2 is not the canonical encoding of its entry/),
      });
    }
  });

  test('a differently escaped string or number fails', () => {
    expect(tamperedLine((line) => line.replace('"step 2"', '"step\\u00202"'))).toMatchObject({ ok: false });
    expect(tamperedLine((line) => line.replace(/"at":(\d+)/, '"at":$1.0'))).toMatchObject({ ok: false });
  });

  test('anything after a valid entry on its line fails', () => {
    expect(tamperedLine((line) => `${line}{"seq":99}`)).toMatchObject({
      ok: false,
      brokenAt: 2,
      problem: 'line 2 is not JSON',
    });
  });

  test('an empty line fails', () => {
    const entries = chain(3);
    const text = lines(entries);
    expect(verifyAuditLog(`${text[0]}\n\n${text[1]}\n${text[2]}\n`)).toMatchObject({
      ok: false,
      brokenAt: 2,
      problem: 'line 2 is empty',
    });
  });

  test('valid exports verify, with or without the final newline', () => {
    const entries = chain(3);
    const text = lines(entries).join('\n');
    const expected = { ok: true, entries: 3, head: headOf(entries) };
    expect(verifyAuditLog(text, { head: headOf(entries) })).toEqual(expected);
    expect(verifyAuditLog(`${text}\n`, { head: headOf(entries) })).toEqual(expected);
    expect(verifyAuditLog('')).toEqual({ ok: true, entries: 0, head: null });
  });

  test('the hash input is the line without its hash member', async () => {
    const { createHash } = await import('node:crypto');
    const [entry] = chain(1);
    const line = canonicalJson(entry);
    const input = line.replace(`,"hash":"${entry!.hash}"`, '');
    expect(createHash('sha256').update(input, 'utf8').digest('hex')).toBe(entry!.hash);
    expect(line.indexOf('"grantId":')).toBeLessThan(line.indexOf('"hash":'));
  });
});

describe('audit.verify() accepts no extra members', () => {
  /** An instance whose store returns its entries with `edit` applied to the second. */
  async function verifyEdited(edit: (entry: AuditEntry) => unknown) {
    const store: Store = createMemoryStore();
    const entries = chain(3);
    await store.appendAudit(entries.map(({ seq: _s, prevHash: _p, hash: _h, ...draft }) => draft));
    const head = (await store.auditHead())!;
    const edited = overrideStore(store, {
      readAudit: async (afterSeq: number, limit: number) =>
        (await store.readAudit(afterSeq, limit)).map((entry) => (entry.seq === 2 ? edit(entry) : entry)),
    });
    const cs = createCountersign({ store: edited, policy: [], transports: [createRecordingTransport()] });
    try {
      return await cs.audit.verify({ head });
    } finally {
      await cs.close();
    }
  }

  test('the unedited chain verifies', async () => {
    expect(await verifyEdited((entry) => entry)).toMatchObject({ ok: true, entries: 3 });
  });

  test('an added member fails', async () => {
    expect(await verifyEdited((entry) => ({ ...entry, approvedBy: 'user:ceo' }))).toEqual({
      ok: false,
      code: 'malformed',
      entries: 1,
      brokenAt: 2,
      problem: 'entry after seq 1 is malformed: member "approvedBy" is not part of the entry format',
    });
  });

  test('a member added inside the action fails', async () => {
    const result = await verifyEdited((entry) => ({
      ...entry,
      action: { ...entry.action, approvedBy: 'user:ceo' },
    }));
    expect(result).toMatchObject({
      ok: false,
      brokenAt: 2,
      problem: expect.stringMatching(/member "action.approvedBy" is not part of the entry format/),
    });
  });

  test('a missing member fails, naming it', async () => {
    const result = await verifyEdited(({ approver: _, ...entry }) => entry);
    expect(result).toMatchObject({ ok: false, brokenAt: 2, problem: expect.stringMatching(/approver/) });
  });
});
