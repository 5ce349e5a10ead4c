// The audit chain in memory: drafts sealed onto the head in the same synchronous step, oldest pruned past the limit.
import {
  type AuditDraft,
  type AuditEntry,
  type AuditHead,
  IssuedGrantEntries,
  type Store,
  sealAuditEntries,
} from '@countersign/core';
import { freezeEntry } from './frozen-copies.js';

/** The sealed entries kept (a moving start over one array) and the head of the whole chain. */
export class AuditChain {
  #entries: AuditEntry[] = [];
  #start = 0;
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
  append(drafts: readonly AuditDraft[]): AuditEntry[] {
    if (drafts.length === 0) return [];
    const sealed = sealAuditEntries(this.#head, drafts, this.#issued).map(freezeEntry);
    for (const entry of sealed) this.#entries.push(entry);
    const last = sealed[sealed.length - 1]!;
    this.#head = { seq: last.seq, hash: last.hash };
    this.#prune();
    return sealed;
  }

  /** Up to `limit` kept entries after `afterSeq`, in chain order. */
  read(afterSeq: number, limit: number): AuditEntry[] {
    const firstSeq = this.#entries[this.#start]?.seq ?? (this.#head?.seq ?? 0) + 1;
    const from = this.#start + Math.max(0, afterSeq - firstSeq + 1);
    return this.#entries.slice(from, from + limit);
  }

  #prune(): void {
    const kept = this.#entries.length - this.#start;
    if (kept <= this.#max) return;
    this.#start += kept - this.#max;
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
