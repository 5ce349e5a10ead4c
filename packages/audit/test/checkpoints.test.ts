import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Countersign, isCountersignError } from '@countersign/core';
import { createTestClock } from '@countersign/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type Checkpoint,
  CheckpointError,
  checkpointBody,
  checkpointLine,
  createCheckpointer,
  exportPublicKey,
  fileSink,
  signCheckpoint,
  verifyCheckpoints,
} from '../src/index.js';
import { allowingCountersign, ed25519, parseLog, readRows, rewrite, toLog } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function signedLog(calls = 3) {
  const cs = allowingCountersign();
  const keys = ed25519();
  const written: Checkpoint[] = [];
  const checkpointer = createCheckpointer(cs, {
    key: keys.privateKey,
    keyId: 'ops-1',
    origin: 'test/log',
    everyEntries: 0,
    sink: (checkpoint) => {
      written.push(checkpoint);
    },
  });
  cleanups.push(
    () => checkpointer.close(),
    () => cs.close(),
  );
  for (let i = 0; i < calls; i++) {
    await readRows(cs, 1);
    await checkpointer.checkpoint();
  }
  const jsonl = await cs.audit.export();
  return { cs, keys, checkpointer, written, jsonl, lines: written.map(checkpointLine).join('') };
}

describe('verifyCheckpoints failure paths', () => {
  test('a chain rewritten end to end (every hash recomputed) contradicts the checkpoints', async () => {
    const { keys, jsonl, lines } = await signedLog();
    const forged = rewrite(jsonl, 1, { actor: 'agent:someone-else' });
    const result = verifyCheckpoints(forged, lines, { 'ops-1': keys.publicKey });
    expect(result).toMatchObject({
      ok: false,
      problem: 'rewritten',
      line: 1,
      reason: 'entry 2 differs from checkpoint line 1: the log was rewritten',
    });
  });

  test('truncation below a checkpoint fails, even though the shorter chain is intact', async () => {
    const { keys, jsonl, lines } = await signedLog();
    const truncated = toLog(parseLog(jsonl).slice(0, 5));
    const result = verifyCheckpoints(truncated, lines, { 'ops-1': keys.publicKey });
    expect(result).toMatchObject({
      ok: false,
      problem: 'truncated',
      line: 3,
      reason: 'log ends at seq 5 but checkpoint line 3 signed seq 6: the log was truncated',
    });
  });

  test('an unknown key id fails and names the id', async () => {
    const { jsonl, lines } = await signedLog();
    const result = verifyCheckpoints(jsonl, lines, { 'ops-2': ed25519().publicKey });
    expect(result).toMatchObject({
      ok: false,
      problem: 'unknown_key',
      line: 1,
      reason: 'checkpoint line 1 is signed by unknown key id "ops-1"',
    });
  });

  test('a checkpoint forged under a trusted key id with another key has a bad signature', async () => {
    const { keys, jsonl, written } = await signedLog();
    const { signature: _, ...body } = written[1]!;
    const forged = signCheckpoint(body, ed25519().privateKey);
    const lines = [written[0]!, forged].map(checkpointLine).join('');
    const result = verifyCheckpoints(jsonl, lines, { 'ops-1': keys.publicKey });
    expect(result).toMatchObject({ ok: false, problem: 'bad_signature', line: 2 });
    expect(result.ok === false && result.reason).toBe(
      'checkpoint line 2 has a bad signature for key id "ops-1"',
    );
  });

  test('an edited seq, hash, time or origin breaks the signature', async () => {
    const { keys, jsonl, written } = await signedLog();
    const original = written[2]!;
    const edits: Partial<Checkpoint>[] = [
      // An earlier, genuine head: signed, but not by this checkpoint's signature.
      { seq: written[1]!.seq, hash: written[1]!.hash },
      { time: original.time + 1 },
      { origin: 'test/other' },
    ];
    for (const edit of edits) {
      const result = verifyCheckpoints(jsonl, [{ ...original, ...edit }], { 'ops-1': keys.publicKey });
      expect(result).toMatchObject({ ok: false, problem: 'bad_signature', line: 1 });
    }
  });

  test('a tampered log fails on the chain before any checkpoint is looked at', async () => {
    const { keys, jsonl, lines } = await signedLog();
    const entries = parseLog(jsonl);
    entries[4] = { ...entries[4]!, reason: 'edited' };
    const result = verifyCheckpoints(toLog(entries), lines, { 'ops-1': keys.publicKey });
    expect(result).toMatchObject({
      ok: false,
      problem: 'chain',
      line: 5,
      reason: 'entry 5 was altered after it was written',
    });
  });

  test('malformed checkpoints fail with every problem named, unknown members included', async () => {
    const { keys, jsonl, written } = await signedLog();
    const lines = `${checkpointLine(written[0]!)}\n${JSON.stringify({ ...written[1], extra: 1, seq: -1 })}\n`;
    const result = verifyCheckpoints(jsonl, lines, { 'ops-1': keys.publicKey });
    expect(result).toMatchObject({
      ok: false,
      problem: 'malformed',
      line: 3,
      reason: 'checkpoint line 3 is malformed: unknown member "extra"; seq must be a whole number ≥ 0',
    });
    expect(verifyCheckpoints(jsonl, '{not json\n', { 'ops-1': keys.publicKey })).toMatchObject({
      ok: false,
      problem: 'malformed',
      reason: 'checkpoint line 1 is not JSON',
    });
  });

  test('a required origin must match', async () => {
    const { keys, jsonl, lines } = await signedLog();
    const result = verifyCheckpoints(jsonl, lines, { 'ops-1': keys.publicKey }, { origin: 'prod/log' });
    expect(result).toMatchObject({ ok: false, problem: 'origin' });
  });

  test('a public key that is not Ed25519 is a configuration error', async () => {
    const { jsonl, lines } = await signedLog();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => verifyCheckpoints(jsonl, lines, { 'ops-1': rsa })).toThrow(
      '[countersign] [audit] public key "ops-1" must be an Ed25519 key',
    );
  });
});

describe('verifyCheckpoints success', () => {
  test('every checkpoint matches; coverage says what they vouch for', async () => {
    const { keys, jsonl, lines, cs } = await signedLog();
    await readRows(cs, 1);
    const longer = await cs.audit.export();
    expect(verifyCheckpoints(jsonl, lines, { 'ops-1': keys.publicKey })).toEqual({
      ok: true,
      entries: 6,
      checkpoints: 3,
      coveredSeq: 6,
      largestGap: 2,
      uncovered: 0,
      keyIds: ['ops-1'],
    });
    expect(verifyCheckpoints(longer, lines, { 'ops-1': exportPublicKey(keys.privateKey) })).toMatchObject({
      ok: true,
      entries: 8,
      uncovered: 2,
    });
  });

  test('rotation: checkpoints under two key ids verify with both public keys, not with one', async () => {
    const cs = allowingCountersign();
    const first = ed25519();
    const second = ed25519();
    const written: Checkpoint[] = [];
    const checkpointer = createCheckpointer(cs, {
      key: first.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      keyId: 'k1',
      everyEntries: 0,
      sink: (checkpoint) => {
        written.push(checkpoint);
      },
    });
    cleanups.push(
      () => checkpointer.close(),
      () => cs.close(),
    );
    await readRows(cs, 1);
    await checkpointer.checkpoint();
    checkpointer.rotate(second.privateKey, 'k2');
    expect(checkpointer.keyId).toBe('k2');
    await readRows(cs, 1);
    await checkpointer.checkpoint();
    const jsonl = await cs.audit.export();
    expect(written.map((c) => c.keyId)).toEqual(['k1', 'k2']);
    const both = { k1: first.publicKey, k2: second.publicKey };
    expect(verifyCheckpoints(jsonl, written, both)).toMatchObject({ ok: true, keyIds: ['k1', 'k2'] });
    expect(verifyCheckpoints(jsonl, written, { k1: first.publicKey })).toMatchObject({
      ok: false,
      problem: 'unknown_key',
      line: 2,
    });
  });

  test('an empty chain can be checkpointed at seq 0', async () => {
    const cs = allowingCountersign();
    const keys = ed25519();
    const checkpointer = createCheckpointer(cs, { key: keys.privateKey, keyId: 'k', sink: () => {} });
    cleanups.push(
      () => checkpointer.close(),
      () => cs.close(),
    );
    const checkpoint = await checkpointer.checkpoint();
    expect(checkpoint).toMatchObject({ seq: 0, hash: '0'.repeat(64), origin: 'countersign' });
    expect(verifyCheckpoints('', [checkpoint], { k: keys.publicKey })).toMatchObject({
      ok: true,
      entries: 0,
    });
  });
});

describe('the signed bytes', () => {
  test('are exactly the documented text, and a fixed key gives a fixed signature', () => {
    const seed = Buffer.alloc(32, 7);
    const key = createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const body = {
      origin: 'acme.example/prod',
      seq: 42,
      hash: 'ab'.repeat(32),
      time: 1764500000000,
      keyId: 'ops-2026',
    };
    expect(checkpointBody(body)).toBe(
      `acme.example/prod\n42\n${'ab'.repeat(32)}\ntime 1764500000000\nkey ops-2026\n`,
    );
    const signed = signCheckpoint(body, key);
    expect(signCheckpoint(body, key).signature).toBe(signed.signature);
    expect(checkpointLine(signed)).toBe(
      `{"origin":"acme.example/prod","seq":42,"hash":"${'ab'.repeat(32)}","time":1764500000000,"keyId":"ops-2026","signature":"${signed.signature}"}\n`,
    );
  });
});

describe('createCheckpointer', () => {
  test('signs every N entries in the background and appends JSON lines to a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-audit-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'checkpoints.jsonl');
    const cs = allowingCountersign();
    const keys = ed25519();
    const seen: Checkpoint[] = [];
    const checkpointer = createCheckpointer(cs, {
      key: keys.privateKey,
      keyId: 'ops-1',
      sink: fileSink(path),
      everyEntries: 4,
      onCheckpoint: (checkpoint) => seen.push(checkpoint),
    });
    cleanups.push(() => cs.close());
    await readRows(cs, 5);
    await checkpointer.close();
    // Each checkpoint signs the head when it runs, which may be a few entries past its trigger.
    expect(seen.length).toBe(2);
    expect(seen[0]!.seq).toBeGreaterThanOrEqual(4);
    expect(seen[1]!.seq).toBeGreaterThanOrEqual(8);
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(seen.map(checkpointLine).join(''));
    const jsonl = await cs.audit.export();
    expect(verifyCheckpoints(jsonl, text, { 'ops-1': keys.publicKey })).toMatchObject({
      ok: true,
      entries: 10,
      checkpoints: 2,
      coveredSeq: seen[1]!.seq,
    });
    expect(verifyCheckpoints(jsonl, text, { 'ops-1': keys.publicKey }, { maxGap: 2 })).toMatchObject({
      ok: false,
      problem: 'gap',
    });
  });

  test('signs on an interval only when the chain grew', async () => {
    const clock = createTestClock();
    const cs = allowingCountersign();
    const seen: number[] = [];
    const checkpointer = createCheckpointer(cs, {
      key: ed25519().privateKey,
      keyId: 'k',
      everyEntries: 0,
      intervalMs: 60_000,
      clock,
      sink: (checkpoint) => {
        seen.push(checkpoint.seq);
      },
    });
    cleanups.push(
      () => checkpointer.close(),
      () => cs.close(),
    );
    await readRows(cs, 1);
    await clock.advance(60_000);
    await clock.advance(60_000);
    await readRows(cs, 1);
    await clock.advance(60_000);
    expect(seen).toEqual([2, 4]);
  });

  test('a failing sink is reported and logged without blocking guards; the gap shows in verification', async () => {
    const cs = allowingCountersign();
    const keys = ed25519();
    const errors: CheckpointError[] = [];
    const logged: string[] = [];
    let fail = true;
    const good: Checkpoint[] = [];
    const checkpointer = createCheckpointer(cs, {
      key: keys.privateKey,
      keyId: 'ops-1',
      everyEntries: 4,
      sink: {
        name: 'flaky',
        write: async (checkpoint) => {
          if (fail) throw new Error('disk full');
          good.push(checkpoint);
        },
      },
      onError: (error) => errors.push(error),
      log: (line) => logged.push(line),
    });
    cleanups.push(() => cs.close());
    await readRows(cs, 3);
    await checkpointer.close().catch(() => {});
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(CheckpointError);
    expect(isCountersignError(errors[0], 'store_failed')).toBe(true);
    expect(errors[0]!.failure).toBe('sink');
    expect(logged[0]).toMatch(
      /^\[countersign\] \[audit\] sink "flaky" did not accept the checkpoint of seq \d+: disk full/,
    );
    const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const secret = pem.split('\n')[1]!;
    for (const line of logged) expect(line).not.toContain(secret);

    const again = createCheckpointer(cs, {
      key: keys.privateKey,
      keyId: 'ops-1',
      everyEntries: 0,
      sink: (checkpoint) => {
        good.push(checkpoint);
      },
    });
    fail = false;
    await readRows(cs, 1);
    await again.checkpoint();
    await again.close();
    const result = verifyCheckpoints(
      await cs.audit.export(),
      good,
      { 'ops-1': keys.publicKey },
      { maxGap: 4 },
    );
    expect(result).toMatchObject({
      ok: false,
      problem: 'gap',
      largestGap: 8,
      reason:
        '8 entries lie between checkpoints (or after the last one), more than maxGap 4: a checkpoint was not written',
    });
  });

  test('an on-demand checkpoint rejects when the sink fails', async () => {
    const cs = allowingCountersign();
    const checkpointer = createCheckpointer(cs, {
      key: ed25519().privateKey,
      keyId: 'k',
      sink: () => {
        throw new Error('offline');
      },
    });
    cleanups.push(
      () => checkpointer.close(),
      () => cs.close(),
    );
    await expect(checkpointer.checkpoint()).rejects.toThrow(
      /sink "callback" did not accept the checkpoint of seq 0: offline/,
    );
    expect(checkpointer.last).toBeNull();
  });

  test('a head that cannot be read is a failure of kind head; a throwing onCheckpoint is not a failure', async () => {
    const cs = allowingCountersign();
    cleanups.push(() => cs.close());
    const broken = {
      on: () => broken,
      off: () => broken,
      audit: {
        head: async () => {
          throw new Error('connection reset');
        },
      },
    } as unknown as Countersign;
    const failing = createCheckpointer(broken, { key: ed25519().privateKey, keyId: 'k', sink: () => {} });
    const error = await failing.checkpoint().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).failure).toBe('head');
    expect((error as CheckpointError).message).toBe(
      '[countersign] [audit] could not read the audit head: connection reset',
    );
    await failing.close();

    const written: Checkpoint[] = [];
    const observed = createCheckpointer(cs, {
      key: ed25519().privateKey,
      keyId: 'k',
      sink: (checkpoint) => {
        written.push(checkpoint);
      },
      onCheckpoint: () => {
        throw new Error('observer bug');
      },
    });
    await expect(observed.checkpoint()).resolves.toMatchObject({ seq: 0 });
    expect(observed.last).toEqual(written[0]);
    await observed.close();
    await expect(observed.checkpoint()).rejects.toMatchObject({ failure: 'closed', code: 'closed' });
  });

  test('bad keys and options are configuration errors that never echo the key', () => {
    const cs = allowingCountersign();
    cleanups.push(() => cs.close());
    const sink = () => {};
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => createCheckpointer(cs, { key: rsa, keyId: 'k', sink })).toThrow(
      'key must be an Ed25519 private key, got a private rsa key',
    );
    expect(() => createCheckpointer(cs, { key: ed25519().publicKey, keyId: 'k', sink })).toThrow(
      'key must be an Ed25519 private key, got a public ed25519 key',
    );
    const garbage = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LW1hdGVyaWFs\n-----END PRIVATE KEY-----\n';
    let thrown: unknown;
    try {
      createCheckpointer(cs, { key: garbage, keyId: 'k', sink });
    } catch (error) {
      thrown = error;
    }
    expect(isCountersignError(thrown, 'invalid_config')).toBe(true);
    expect(String(thrown)).not.toContain('c2VjcmV0');
    expect(String((thrown as Error).cause)).not.toContain('c2VjcmV0');
    expect(() => createCheckpointer(cs, { key: ed25519().privateKey, keyId: 'has space', sink })).toThrow(
      'keyId must be 1 to 128 printable ASCII characters without spaces',
    );
    expect(() =>
      createCheckpointer(cs, { key: ed25519().privateKey, keyId: 'k', sink, everyEntry: 5 } as never),
    ).toThrow('[audit] createCheckpointer: unknown option(s) everyEntry');
  });
});
