import { describe, expect, test } from 'vitest';
import { sealAuditEntries, verifyAuditLog } from '../src/index.js';
import { toJsonLines } from '../src/model/audit.js';
import { sampleDraft } from '../src/testing/index.js';

/** A 3-entry export as bytes whose second entry's detail holds U+FFFD, encoded as UTF-8 (EF BF BD). */
function withReplacementCharacter(): Uint8Array {
  const drafts = [sampleDraft('requested'), sampleDraft('delivered', 'x\ufffdy'), sampleDraft('reminded')];
  return new TextEncoder().encode(toJsonLines(sealAuditEntries(null, drafts)));
}

/** The same bytes with the U+FFFD replaced by one byte that is not UTF-8: a different file. */
function withInvalidByte(): Uint8Array {
  const good = withReplacementCharacter();
  const at = good.findIndex((byte, i) => byte === 0xef && good[i + 1] === 0xbf && good[i + 2] === 0xbd);
  return Uint8Array.from([...good.subarray(0, at), 0xff, ...good.subarray(at + 3)]);
}

describe('verifyAuditLog given bytes', () => {
  test('two files that differ in one invalid byte do not verify as the same chain', () => {
    const good = withReplacementCharacter();
    const bad = withInvalidByte();
    // What reading with replacement did: both decode to one text, and that text verifies.
    expect(new TextDecoder().decode(bad)).toBe(new TextDecoder().decode(good));
    expect(verifyAuditLog(good)).toMatchObject({ ok: true, entries: 3 });
    expect(verifyAuditLog(bad)).toEqual({
      ok: false,
      code: 'not_utf8',
      entries: 1,
      brokenAt: 2,
      line: 2,
      problem: 'line 2 is not valid UTF-8',
    });
  });

  test('the lines before a bad byte are verified first, and their failure is the one reported', () => {
    const bytes = withInvalidByte();
    const end = bytes.indexOf(0x0a);
    const first = new TextDecoder()
      .decode(bytes.subarray(0, end))
      .replace('agent:report-bot', 'agent:mallory');
    const tampered = Uint8Array.from([...new TextEncoder().encode(first), ...bytes.subarray(end)]);
    expect(verifyAuditLog(tampered)).toMatchObject({ ok: false, code: 'altered', line: 1 });
  });

  test('invalid sequences anywhere: overlong, surrogate, truncated, stray continuation', () => {
    const line = new TextEncoder().encode(toJsonLines(sealAuditEntries(null, [sampleDraft('requested')])));
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      expect(verifyAuditLog(Uint8Array.from([...line, ...bad]))).toMatchObject({
        ok: false,
        code: 'not_utf8',
        entries: 1,
        line: 2,
      });
      expect(verifyAuditLog(Uint8Array.from(bad))).toMatchObject({ ok: false, code: 'not_utf8', line: 1 });
    }
  });

  test('a byte order mark is refused, as bytes or as text', () => {
    const text = toJsonLines(sealAuditEntries(null, [sampleDraft('requested')]));
    const failure = {
      ok: false,
      code: 'byte_order_mark',
      entries: 0,
      brokenAt: 1,
      line: 1,
      problem: 'line 1 starts with a byte order mark (U+FEFF): the log is UTF-8 without one',
    };
    expect(verifyAuditLog(new TextEncoder().encode(`\ufeff${text}`))).toEqual(failure);
    expect(verifyAuditLog(`\ufeff${text}`)).toEqual(failure);
    expect(verifyAuditLog(new TextEncoder().encode(text))).toMatchObject({ ok: true, entries: 1 });
  });

  test('an empty file is an empty log; a lone newline is an empty line', () => {
    expect(verifyAuditLog(new Uint8Array())).toEqual({ ok: true, entries: 0, head: null });
    expect(verifyAuditLog(Uint8Array.of(0x0a))).toMatchObject({ ok: false, code: 'empty_line', line: 1 });
  });
});
