// Checks of what a store returns from its audit read paths: a head and pages of entries.
import { type AuditEntry, type AuditHead, isPlainAuditEntry } from './audit.js';
import { CorruptRecordError } from './errors.js';
import { isPlainObject } from './record-shape.js';

const HASH = /^[0-9a-f]{64}$/;

/** The store's audit head, checked: null, or a positive whole seq and a SHA-256 hex hash. */
export function checkAuditHead(raw: unknown): AuditHead | null {
  if (raw === null) return null;
  if (
    !isPlainObject(raw) ||
    !Number.isSafeInteger(raw.seq) ||
    (raw.seq as number) < 1 ||
    typeof raw.hash !== 'string' ||
    !HASH.test(raw.hash)
  ) {
    throw new CorruptRecordError('audit head', [
      'must be null or { seq: a positive integer, hash: 64 hex digits }',
    ]);
  }
  return { seq: raw.seq as number, hash: raw.hash };
}

/** A page of entries, checked: each a well-formed entry, ascending, after `afterSeq`, at most `limit`. */
export function checkAuditPage(raw: unknown, afterSeq: number, limit: number): AuditEntry[] {
  if (!Array.isArray(raw)) throw new CorruptRecordError('audit page', ['must be an array of entries']);
  if (raw.length > limit)
    throw new CorruptRecordError('audit page', [`holds ${raw.length} entries, more than ${limit}`]);
  let previous = afterSeq;
  for (const entry of raw) {
    if (!isPlainAuditEntry(entry))
      throw new CorruptRecordError('audit entry', [`after seq ${previous} is malformed`]);
    if (entry.seq <= previous) {
      throw new CorruptRecordError('audit page', [`seq ${entry.seq} does not follow seq ${previous}`]);
    }
    previous = entry.seq;
  }
  return raw as AuditEntry[];
}
