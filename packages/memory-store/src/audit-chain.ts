// The audit chain in memory: drafts sealed onto the head in the same synchronous step, oldest pruned past the limit.
import {
  type AuditDraft,
  type AuditEntry,
  type AuditHead,
  IssuedGrantEntries,
  type Store,
  sealAuditEntries,
} from '@countersign/core';
import { freezeEntryParts } from './frozen-copies.js';
import { KeptEntry } from './kept-entry.js';

/**
 * The sealed entries kept (a moving start over one array) and the head of the whole chain. Entries
 * are kept compact (kept-entry.ts) and read back as the frozen entries sealing returned.
 */
export class AuditChain {
  #entries: KeptEntry[] = [];
  #start = 0;
  /** The `seq` and `prevHash` of the first kept entry: every later one follows from its position. */
  #firstSeq = 1;
  #firstPrevHash = '';
  /** The first entry's time: kept entries hold theirs as a small offset from it. */
  #atBase: number | null = null;
  #head: AuditHead | null = null;
  /** So an outcome entry names the entry that issued its grant rather than repeating the action. */
  readonly #issued = new IssuedGrantEntries();
  readonly #max: number;

  constructor(maxEntries: number) {
    this.#max = maxEntries;
  }

  get head(): AuditHead | null {
    return this.#head;
  }

  /** Synchronous, so nothing interleaves between reading the head and appending after it. */
  append(drafts: readonly AuditDraft[]): void {
    if (drafts.length === 0) return;
    const sealed = sealAuditEntries(this.#head, drafts, this.#issued);
    const first = sealed[0]!;
    this.#atBase ??= Number.isInteger(first.at) ? first.at : 0;
    const base = this.#atBase;
    if (this.#entries.length === this.#start) {
      this.#firstSeq = first.seq;
      this.#firstPrevHash = first.prevHash;
    }
    for (const entry of sealed) this.#entries.push(new KeptEntry(freezeEntryParts(entry), base));
    const last = sealed[sealed.length - 1]!;
    this.#head = { seq: last.seq, hash: last.hash };
    this.#prune();
  }

  /** Up to `limit` kept entries after `afterSeq`, in chain order. */
  read(afterSeq: number, limit: number): AuditEntry[] {
    const entries = this.#entries;
    const start = this.#start;
    const firstSeq = entries.length > start ? this.#firstSeq : (this.#head?.seq ?? 0) + 1;
    const from = start + Math.max(0, afterSeq - firstSeq + 1);
    const to = Math.min(entries.length, from + Math.max(0, limit));
    const base = this.#atBase ?? 0;
    const out: AuditEntry[] = [];
    for (let i = from; i < to; i++) {
      const prevHash = i === start ? this.#firstPrevHash : entries[i - 1]!.hash;
      out.push(entries[i]!.entry(base, firstSeq + (i - start), prevHash));
    }
    return out;
  }

  #prune(): void {
    const kept = this.#entries.length - this.#start;
    if (kept <= this.#max) return;
    const dropped = kept - this.#max;
    this.#start += dropped;
    this.#firstSeq += dropped;
    this.#firstPrevHash = this.#entries[this.#start - 1]!.hash;
    // Compact once the dropped prefix is as large as what is kept, so pruning stays O(1) amortised.
    if (this.#start >= this.#entries.length - this.#start) {
      this.#entries = this.#entries.slice(this.#start);
      this.#start = 0;
    }
  }
}

export type AuditMethods = Required<Pick<Store, 'appendAudit' | 'readAudit' | 'auditHead'>>;

export function auditMethods(chain: AuditChain): AuditMethods {
  return {
    async appendAudit(audit) {
      chain.append(audit);
    },

    async readAudit(afterSeq, limit) {
      return chain.read(afterSeq, limit);
    },

    async auditHead() {
      return chain.head;
    },
  };
}
