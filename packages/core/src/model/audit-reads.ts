// Checks of what a store returns from its audit read paths: a head and pages of entries.

import { CorruptRecordError } from '../lib/errors.js';
import { isPlainObject } from '../lib/record-shape.js';
import type { RedactedAction } from './approval.js';
import { type AuditEntry, type AuditHead, isPlainAuditEntry } from './audit.js';
import { isOutcome } from './audit-rules.js';
import { checkList, checkStored } from './record-checks.js';

const HASH = /^[0-9a-f]{64}$/;

/** The store's audit head, checked: null, or a positive whole seq and a SHA-256 hex hash. */
export function checkAuditHead(raw: unknown): AuditHead | null {
  return checkStored('audit head', () => auditHeadOf(raw));
}

function auditHeadOf(raw: unknown): AuditHead | null {
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
  return checkStored('audit page', () => auditPageOf(raw, afterSeq, limit));
}

function auditPageOf(raw: unknown, afterSeq: number, limit: number): AuditEntry[] {
  const page = checkList(raw, 'readAudit');
  if (page.length > limit)
    throw new CorruptRecordError('audit page', [`holds ${page.length} entries, more than ${limit}`]);
  let previous = afterSeq;
  for (const entry of page) {
    if (!isPlainAuditEntry(entry))
      throw new CorruptRecordError('audit entry', [`after seq ${previous} is malformed`]);
    if (entry.seq <= previous) {
      throw new CorruptRecordError('audit page', [`seq ${entry.seq} does not follow seq ${previous}`]);
    }
    previous = entry.seq;
  }
  return page as AuditEntry[];
}

/** A page for the verifier, which reports a malformed entry itself, with its seq: only the list is checked. */
export function auditPageList(raw: unknown): AuditEntry[] {
  return checkList(raw, 'readAudit') as AuditEntry[];
}

/**
 * The action each entry of a log is about, read in chain order: an entry's own `action`, or, for an
 * outcome that names the entry that issued its grant (`grantEntry`), that entry's. Remembers the
 * action of each grant-issuing entry until its grant's outcome, at most `max` (oldest forgotten).
 * An outcome whose grant's entry was pruned away, or not read through this reader, reads as null.
 */
export class AuditActions {
  readonly #byGrant = new Map<string, { seq: number; action: RedactedAction }>();
  readonly #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  read(entry: AuditEntry): RedactedAction | null {
    const { grantId } = entry;
    if (grantId === null) return entry.action;
    if ((entry.type === 'allowed' || entry.type === 'granted') && entry.action !== null) {
      if (this.#byGrant.size >= this.#max) this.#byGrant.delete(this.#byGrant.keys().next().value!);
      this.#byGrant.set(grantId, { seq: entry.seq, action: entry.action });
      return entry.action;
    }
    if (!isOutcome(entry.type)) return entry.action;
    const issued = this.#byGrant.get(grantId);
    this.#byGrant.delete(grantId);
    if (entry.grantEntry == null) return entry.action;
    return issued !== undefined && issued.seq === entry.grantEntry.seq ? issued.action : null;
  }
}
