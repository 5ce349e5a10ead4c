// verifyCheckpoints: checks an exported audit log against signed checkpoints, offline.
import type { KeyObject } from 'node:crypto';
import { GENESIS_HASH, verifyAuditLog } from '@countersign/core';
import { type Checkpoint, checkpointProblems, checkpointSignatureValid } from './checkpoint.js';
import { loadPublicKeys, type PublicKeys } from './keys.js';

export interface VerifyCheckpointsOptions {
  /** Require every checkpoint to name this origin. */
  origin?: string | undefined;
  /** Fail when more than this many entries lie between checkpoints, or after the last one. */
  maxGap?: number | undefined;
}

/** Which entries the checkpoints vouch for. */
export interface Coverage {
  /** Entries in the log. */
  entries: number;
  /** Checkpoints checked. */
  checkpoints: number;
  /** The highest seq a checkpoint signed; 0 when none did. */
  coveredSeq: number;
  /** The most entries between two consecutive checkpointed seqs (from 0 for the first). */
  largestGap: number;
  /** Entries after `coveredSeq`, which no checkpoint vouches for yet. */
  uncovered: number;
  /** Key ids that signed at least one checkpoint. */
  keyIds: string[];
}

export type CheckpointProblem =
  | 'chain'
  | 'malformed'
  | 'origin'
  | 'unknown_key'
  | 'bad_signature'
  | 'truncated'
  | 'rewritten'
  | 'gap';

export type VerifyCheckpointsResult =
  | ({ ok: true } & Coverage)
  | ({
      ok: false;
      problem: CheckpointProblem;
      /** Why, in one sentence. */
      reason: string;
      /** The 1-based line of the log (for `chain`) or of the checkpoints (otherwise), when one is at fault. */
      line: number | null;
    } & Coverage);

/**
 * Verifies the hash chain of `jsonl` (with `verifyAuditLog`), then every checkpoint: it must be
 * well formed, signed by a key in `publicKeys` under its key id, and name a seq the log still has,
 * with the same hash. Stops at the first problem.
 */
export function verifyCheckpoints(
  jsonl: string,
  checkpoints: string | readonly unknown[],
  publicKeys: PublicKeys,
  options: VerifyCheckpointsOptions = {},
): VerifyCheckpointsResult {
  const keys = loadPublicKeys(publicKeys);
  const coverage: Coverage = {
    entries: 0,
    checkpoints: 0,
    coveredSeq: 0,
    largestGap: 0,
    uncovered: 0,
    keyIds: [],
  };
  const fail = (
    problem: CheckpointProblem,
    reason: string,
    line: number | null,
  ): VerifyCheckpointsResult => ({
    ok: false,
    problem,
    reason,
    line,
    ...coverage,
    uncovered: coverage.entries - coverage.coveredSeq,
  });

  const chain = verifyAuditLog(jsonl);
  coverage.entries = chain.entries;
  if (!chain.ok) return fail('chain', chain.problem, chain.brokenAt);
  const hashes = chainHashes(jsonl);
  const last = chain.head?.seq ?? 0;
  coverage.entries = last;

  const list =
    typeof checkpoints === 'string'
      ? parseLines(checkpoints)
      : checkpoints.map((value, i) => ({ line: i + 1, value }));
  const seqs: number[] = [];
  const signers = new Set<string>();
  for (const item of list) {
    const line = item.line;
    if ('error' in item) return fail('malformed', `checkpoint line ${line} is not JSON`, line);
    const problems = checkpointProblems(item.value);
    if (problems.length > 0) {
      return fail('malformed', `checkpoint line ${line} is malformed: ${problems.join('; ')}`, line);
    }
    const checkpoint = item.value as Checkpoint;
    if (options.origin !== undefined && checkpoint.origin !== options.origin) {
      return fail(
        'origin',
        `checkpoint line ${line} is for origin "${checkpoint.origin}", not "${options.origin}"`,
        line,
      );
    }
    const key: KeyObject | undefined = keys.get(checkpoint.keyId);
    if (key === undefined) {
      return fail(
        'unknown_key',
        `checkpoint line ${line} is signed by unknown key id "${checkpoint.keyId}"`,
        line,
      );
    }
    if (!checkpointSignatureValid(checkpoint, key)) {
      return fail(
        'bad_signature',
        `checkpoint line ${line} has a bad signature for key id "${checkpoint.keyId}"`,
        line,
      );
    }
    if (checkpoint.seq > last) {
      return fail(
        'truncated',
        `log ends at seq ${last} but checkpoint line ${line} signed seq ${checkpoint.seq}: the log was truncated`,
        line,
      );
    }
    const expected = checkpoint.seq === 0 ? GENESIS_HASH : hashes[checkpoint.seq - 1];
    if (checkpoint.hash !== expected) {
      return fail(
        'rewritten',
        `entry ${checkpoint.seq} differs from checkpoint line ${line}: the log was rewritten`,
        line,
      );
    }
    seqs.push(checkpoint.seq);
    signers.add(checkpoint.keyId);
    coverage.checkpoints += 1;
    coverage.coveredSeq = Math.max(coverage.coveredSeq, checkpoint.seq);
  }
  coverage.keyIds = [...signers].sort();
  const points = [0, ...new Set(seqs)].sort((a, b) => a - b);
  for (let i = 1; i < points.length; i += 1) {
    coverage.largestGap = Math.max(coverage.largestGap, points[i]! - points[i - 1]!);
  }
  coverage.uncovered = last - coverage.coveredSeq;
  const maxGap = options.maxGap;
  if (maxGap !== undefined) {
    const worst = Math.max(coverage.largestGap, coverage.uncovered);
    if (worst > maxGap) {
      return fail(
        'gap',
        `${worst} entries lie between checkpoints (or after the last one), more than maxGap ${maxGap}: a checkpoint was not written`,
        null,
      );
    }
  }
  return { ok: true, ...coverage };
}

/** The hash of every entry, by seq - 1, from a log `verifyAuditLog` has accepted from seq 1. */
function chainHashes(jsonl: string): string[] {
  const hashes: string[] = [];
  for (const line of jsonl.split('\n')) {
    if (line.trim().length === 0) continue;
    hashes.push((JSON.parse(line) as { hash: string }).hash);
  }
  return hashes;
}

/** Each non-blank line, parsed, with its 1-based line number in the file. */
function parseLines(text: string): ({ line: number; value: unknown } | { line: number; error: true })[] {
  const parsed: ({ line: number; value: unknown } | { line: number; error: true })[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim().length === 0) continue;
    try {
      parsed.push({ line: i + 1, value: JSON.parse(line) as unknown });
    } catch {
      parsed.push({ line: i + 1, error: true });
    }
  }
  return parsed;
}
