// Sealing drafts into the chain, and the reference an outcome entry makes to the entry that issued its grant.
import { sha256Hex } from '../lib/ids.js';
import type { RedactedAction } from './approval.js';
import {
  type AuditDraft,
  type AuditEntry,
  type AuditHead,
  GENESIS_HASH,
  type GrantEntryRef,
  hashAuditEntry,
  notePrevHash,
  typedEntryJson,
} from './audit.js';

/** An entry that issued a grant, as sealed in this process: where it is, and the action it carries. */
interface Issued {
  ref: GrantEntryRef;
  action: RedactedAction;
  fingerprint: string | null;
}

/**
 * The entries of one chain that issued a grant, by grant id, and not yet ended by an outcome: what
 * lets an outcome name its grant's entry instead of repeating the action. A store that seals in
 * this process keeps one per chain and passes it to {@link sealAuditEntries}. Bounded: a grant
 * ended elsewhere (or never) is forgotten oldest first, and its outcome then repeats its action,
 * which is as valid.
 */
export class IssuedGrantEntries {
  readonly #byGrant = new Map<string, Issued>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** Remembers `entry` when it issues a grant. */
  note(draft: AuditDraft, entry: AuditEntry): void {
    if ((draft.type !== 'allowed' && draft.type !== 'granted') || draft.grantId === null) return;
    if (draft.action === null) return;
    if (this.#byGrant.size >= this.#max) this.#byGrant.delete(this.#byGrant.keys().next().value!);
    this.#byGrant.set(draft.grantId, {
      ref: { seq: entry.seq, hash: entry.hash },
      action: draft.action,
      fingerprint: draft.fingerprint,
    });
  }

  /**
   * The entry an outcome (`executed`, `failed`) names instead of repeating its action: the one that
   * issued the same grant for the same call with this very action object (or, for a draft that
   * already names such an entry, that grant's entry as sealed here), or null.
   */
  issuerOf(draft: AuditDraft): GrantEntryRef | null {
    if ((draft.type !== 'executed' && draft.type !== 'failed') || draft.grantId === null) return null;
    const found = this.#byGrant.get(draft.grantId);
    if (found === undefined) return null;
    this.#byGrant.delete(draft.grantId);
    if (found.fingerprint !== draft.fingerprint) return null;
    if (found.action === draft.action) return found.ref;
    // A draft that already names its grant's entry (a log sealed again): named where that entry is now.
    return draft.action === null && draft.grantEntry != null ? found.ref : null;
  }
}

/**
 * Chains drafts after `head`. Stores call this inside the same atomic step that reads the head
 * and writes the entries, so concurrent writers cannot fork the chain. Entries are written in
 * the current format (version 2). Given the chain's `issued`, an outcome whose grant was issued by an
 * entry sealed with it names that entry (`grantEntry`) and leaves its action null, which the
 * verifier checks.
 */
export function sealAuditEntries(
  head: AuditHead | null,
  drafts: readonly AuditDraft[],
  issued?: IssuedGrantEntries,
): AuditEntry[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  return drafts.map((draft) => {
    seq += 1;
    const issuer = issued === undefined ? null : issued.issuerOf(draft);
    // A reference the draft makes itself is kept as given when not resolved here: the verifier checks it.
    const grantEntry = issuer ?? (draft.action === null ? (draft.grantEntry ?? null) : null);
    // Built member by member rather than spread, so every entry shares one compact shape.
    const entry: AuditEntry = {
      type: draft.type,
      at: draft.at,
      requestId: draft.requestId,
      grantId: draft.grantId,
      actor: draft.actor,
      onBehalfOf: draft.onBehalfOf,
      sessionId: draft.sessionId,
      action: grantEntry === null ? draft.action : null,
      fingerprint: draft.fingerprint,
      ruleId: draft.ruleId,
      reason: draft.reason,
      approver: draft.approver,
      outcome: draft.outcome,
      comment: draft.comment,
      via: draft.via,
      detail: draft.detail,
      consumedAt: draft.consumedAt,
      formatVersion: 2,
      grantEntry,
      seq,
      prevHash,
      hash: '',
    };
    // A reference resolved here was built by `issued` from an entry sealed here: not checked again.
    const json = typedEntryJson(entry, issuer !== null);
    entry.hash = json === undefined ? hashAuditEntry(entry) : sha256Hex(json);
    prevHash = entry.hash;
    notePrevHash(prevHash);
    issued?.note(draft, entry);
    return entry;
  });
}
