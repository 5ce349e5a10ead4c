// The signed checkpoint format: its members, the exact bytes signed, signing and parsing.
import { type KeyObject, sign, verify } from 'node:crypto';
import { ValidationError } from '@countersign/core';

/**
 * A signed statement that the audit chain of `origin` had `seq` entries, the newest with hash
 * `hash`, at `time`. Written as one JSON line with exactly these members.
 */
export interface Checkpoint {
  /** Names the log, e.g. `'acme.example/prod-agents'`. */
  origin: string;
  /** Entries in the chain; 0 for an empty chain. */
  seq: number;
  /** The `hash` of entry `seq`, lowercase hex; 64 zeros for an empty chain. */
  hash: string;
  /** When it was signed, in milliseconds since the Unix epoch. */
  time: number;
  /** Names the key that signed it; auditors look the public key up by this id. */
  keyId: string;
  /** Ed25519 signature of {@link checkpointBody}, base64 (RFC 4648, with padding). */
  signature: string;
}

export type CheckpointBody = Omit<Checkpoint, 'signature'>;

const MEMBERS = ['origin', 'seq', 'hash', 'time', 'keyId', 'signature'] as const;
const HEX_64 = /^[0-9a-f]{64}$/;
const ONE_LINE = /^[^\n\r]{1,256}$/;
const WORD = /^[\x21-\x7e]{1,128}$/;
const BASE64_SIG = /^[A-Za-z0-9+/]{86}==$/;

/**
 * The text an Ed25519 key signs, in UTF-8, modelled on the C2SP tlog checkpoint: the origin, the
 * entry count and the head hash on lines of their own, then `time` and `key` extension lines,
 * each line ending in a newline:
 *
 * ```
 * acme.example/prod-agents
 * 42
 * 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 * time 1764500000000
 * key ops-2026
 * ```
 */
export function checkpointBody(body: CheckpointBody): string {
  return `${body.origin}\n${body.seq}\n${body.hash}\ntime ${body.time}\nkey ${body.keyId}\n`;
}

export function signCheckpoint(body: CheckpointBody, key: KeyObject): Checkpoint {
  const signature = sign(null, Buffer.from(checkpointBody(body), 'utf8'), key).toString('base64');
  return { ...body, signature };
}

/** True when `signature` is `key`'s Ed25519 signature of the checkpoint's body. */
export function checkpointSignatureValid(checkpoint: Checkpoint, key: KeyObject): boolean {
  return verify(
    null,
    Buffer.from(checkpointBody(checkpoint), 'utf8'),
    key,
    Buffer.from(checkpoint.signature, 'base64'),
  );
}

/** One checkpoint as the JSON line sinks write, members in a fixed order. */
export function checkpointLine(checkpoint: Checkpoint): string {
  const { origin, seq, hash, time, keyId, signature } = checkpoint;
  return `${JSON.stringify({ origin, seq, hash, time, keyId, signature })}\n`;
}

/** What is wrong with a value read as a checkpoint, or an empty list when nothing is. */
export function checkpointProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['not a JSON object'];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(record)) {
    if (!(MEMBERS as readonly string[]).includes(key)) problems.push(`unknown member "${key}"`);
  }
  const { origin, seq, hash, time, keyId, signature } = record;
  if (typeof origin !== 'string' || !ONE_LINE.test(origin)) problems.push('origin must be one line of text');
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) problems.push('seq must be a whole number ≥ 0');
  if (typeof hash !== 'string' || !HEX_64.test(hash)) problems.push('hash must be 64 lowercase hex digits');
  if (!Number.isSafeInteger(time) || (time as number) < 0) problems.push('time must be milliseconds ≥ 0');
  if (typeof keyId !== 'string' || !WORD.test(keyId)) problems.push('keyId must be one printable word');
  if (typeof signature !== 'string' || !BASE64_SIG.test(signature))
    problems.push('signature must be a base64 Ed25519 signature');
  return problems;
}

/** Reads one checkpoint; throws `ValidationError` naming every problem. */
export function parseCheckpoint(value: unknown): Checkpoint {
  const problems = checkpointProblems(value);
  if (problems.length > 0) throw new ValidationError('checkpoint', problems);
  return value as Checkpoint;
}
