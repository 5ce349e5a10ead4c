// A sealed audit entry as the memory store keeps it: compact while kept, read back as the very entry sealed.
import type { AuditEntry, AuditType, GrantEntryRef, RedactedAction } from '@countersign/core';

/** Offsets in this range are small integers (Smis) in V8 even with pointer compression: no boxed number. */
const SMALL = 0x3fffffff;

/** The members most entries leave null (a vote's, a grant's end), kept together so an entry without them holds one null. */
class Rare {
  constructor(
    readonly approver: string | null,
    readonly outcome: 'approve' | 'deny' | null,
    readonly comment: string | null,
    readonly consumedAt: number | null,
    readonly grantEntry: GrantEntryRef | null,
  ) {}
}

/**
 * One sealed entry, kept. Every member is set in the constructor, in one order, so all kept entries
 * share one hidden class. Kept smaller than the entry (each member is 8 B on 64-bit Node): its
 * time as a small integer offset from the chain's first time when it is one (a millisecond
 * timestamp is a 16 B boxed number), the members most entries leave null in one `Rare` or null,
 * and no `seq`, `prevHash` or `formatVersion`: the chain gives those from the entry's position.
 * {@link KeptEntry.entry} rebuilds the entry member for member, values identical (`Object.is`).
 */
export class KeptEntry {
  readonly type: AuditType;
  /** `at - base` when that is a small integer that gives `at` back exactly; else 0, and `atRaw` holds it. */
  readonly atOffset: number;
  readonly atRaw: number | null;
  readonly requestId: string | null;
  readonly grantId: string | null;
  readonly actor: string | null;
  readonly onBehalfOf: string | null;
  readonly sessionId: string | null;
  readonly action: RedactedAction | null;
  readonly fingerprint: string | null;
  readonly ruleId: string | null;
  readonly reason: string | null;
  readonly via: string | null;
  readonly detail: string | null;
  readonly rare: Rare | null;
  readonly hash: string;

  /** `entry` must be one `sealAuditEntries` returned (version 2), its action and reference deep-frozen. */
  constructor(entry: AuditEntry, base: number) {
    const offset = entry.at - base;
    const small =
      offset >= -SMALL && offset <= SMALL && Number.isInteger(offset) && Object.is(base + offset, entry.at);
    const grantEntry = entry.grantEntry ?? null;
    const { approver, outcome, comment, consumedAt } = entry;
    const plain =
      approver === null && outcome === null && comment === null && consumedAt === null && grantEntry === null;
    this.type = entry.type;
    // `| 0` so the field holds a small integer, never a boxed number that happens to be whole.
    this.atOffset = small ? offset | 0 : 0;
    this.atRaw = small ? null : entry.at;
    this.requestId = entry.requestId;
    this.grantId = entry.grantId;
    this.actor = entry.actor;
    this.onBehalfOf = entry.onBehalfOf;
    this.sessionId = entry.sessionId;
    this.action = entry.action;
    this.fingerprint = entry.fingerprint;
    this.ruleId = entry.ruleId;
    this.reason = entry.reason;
    this.via = entry.via;
    this.detail = entry.detail;
    this.rare = plain ? null : new Rare(approver, outcome, comment, consumedAt, grantEntry);
    this.hash = entry.hash;
  }

  /** The entry as sealed at `seq` after `prevHash`: a frozen plain object, its members in the order sealing writes them. */
  entry(base: number, seq: number, prevHash: string): AuditEntry {
    const rare = this.rare;
    return Object.freeze({
      type: this.type,
      at: this.atRaw ?? base + this.atOffset,
      requestId: this.requestId,
      grantId: this.grantId,
      actor: this.actor,
      onBehalfOf: this.onBehalfOf,
      sessionId: this.sessionId,
      action: this.action,
      fingerprint: this.fingerprint,
      ruleId: this.ruleId,
      reason: this.reason,
      approver: rare === null ? null : rare.approver,
      outcome: rare === null ? null : rare.outcome,
      comment: rare === null ? null : rare.comment,
      via: this.via,
      detail: this.detail,
      consumedAt: rare === null ? null : rare.consumedAt,
      formatVersion: 2 as const,
      grantEntry: rare === null ? null : rare.grantEntry,
      seq,
      prevHash,
      hash: this.hash,
    });
  }
}
