// Verifying the audit chain: entry by entry from a store, or an exported log to the byte.

import { quote } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/ids.js';
import { lineProblem, repeatedMember } from '../lib/line-problem.js';
import { isPlainObject } from '../lib/record-shape.js';
import { decodeStrictUtf8 } from '../lib/strict-utf8.js';
import { redactedActionShape } from './approval.js';
import {
  AUDIT_FORMAT_VERSION,
  type AuditEntry,
  type AuditHead,
  auditEntrySchema,
  auditEntryShape,
  auditEntryV1Shape,
  GENESIS_HASH,
  isPlainAuditEntry,
  knownEntryParts,
} from './audit.js';
import { wellFormedEntryBody } from './audit-entry-body.js';
import { hashFormProblem, isOutcome, typeRuleProblem } from './audit-rules.js';
import { formatIssues } from './schemas.js';

export interface VerifyOptions {
  /** A head recorded earlier; the log must still contain it, which detects truncation. */
  head?: AuditHead | undefined;
  /** Accept a log whose oldest entries were pruned by a retention policy. */
  allowPruned?: boolean | undefined;
}

/** Why a log does not verify, one stable code per kind of failure (docs/audit-format.md lists them). */
export const VerifyFailure = {
  /** A line's bytes are not UTF-8 (only when the log is given as bytes). */
  NotUtf8: 'not_utf8',
  /** The log starts with U+FEFF. */
  ByteOrderMark: 'byte_order_mark',
  EmptyLine: 'empty_line',
  NotJson: 'not_json',
  /** Not an entry: a member missing, unknown or of the wrong JSON type, or a hash not 64 hex digits. */
  Malformed: 'malformed',
  /** A member the entry's type does not allow, e.g. `consumedAt` on a `requested` entry. */
  TypeRule: 'type_rule',
  RepeatedMember: 'repeated_member',
  /** Valid JSON of a valid entry, but not its canonical encoding byte for byte. */
  NotCanonical: 'not_canonical',
  /** Starts at a seq after 1 without `allowPruned`. */
  Pruned: 'pruned',
  /** Seq 1 whose `prevHash` is not the genesis hash. */
  NotGenesis: 'not_genesis',
  SeqGap: 'seq_gap',
  BrokenLink: 'broken_link',
  Altered: 'altered',
  /**
   * An outcome's `grantEntry` does not name an earlier entry of this log, with that hash, that
   * issued its grant for the same call (`allowed` or `granted`, same `grantId` and `fingerprint`).
   */
  BadGrantEntry: 'bad_grant_entry',
  /** The entry at the kept head's seq has another hash. */
  HeadMismatch: 'head_mismatch',
  /** The log ends before the kept head. */
  Truncated: 'truncated',
} as const;
export type VerifyFailure = (typeof VerifyFailure)[keyof typeof VerifyFailure];

export type VerifyResult =
  | { ok: true; entries: number; head: AuditHead | null }
  | {
      ok: false;
      code: VerifyFailure;
      /** Entries verified before the failure. */
      entries: number;
      /** The seq the failing entry has or should have. */
      brokenAt: number;
      problem: string;
      /** In an exported log, the 1-based line at fault; absent when none is (truncation) or there are no lines. */
      line?: number;
    };

/** One line of an exported log, for the verifier to hold to the byte. */
export interface AuditLine {
  /** The line without its terminating `\n`. */
  text: string;
  /** 1-based. */
  number: number;
}

/**
 * Checks every link of the chain, in order. Stops at the first problem. An entry must have
 * exactly the members of the entry format, each with a value its type allows, and a line exactly
 * the bytes of its entry's canonical encoding: nothing is stripped or normalised before hashing,
 * so nothing unverified survives.
 */
export class AuditVerifier {
  private count = 0;
  private previous: AuditHead | null = null;
  private anchorSeen = false;
  /** The line being checked, when verifying an export. */
  private lineNumber: number | undefined;
  private failure: Extract<VerifyResult, { ok: false }> | null = null;
  /** The seq of the first entry, for references into what a pruned log no longer holds. */
  private firstSeq = 0;
  /** Entries that issued a grant not yet ended by an outcome, by grant id: what a `grantEntry` must name. */
  private readonly issuers = new Map<string, { seq: number; hash: string; fingerprint: string | null }>();

  constructor(private readonly options: VerifyOptions = {}) {}

  /** Feeds the next entry, and the line it was parsed from if any; returns false once the chain is broken. */
  add(raw: unknown, line?: AuditLine): boolean {
    if (this.failure) return false;
    if (line === undefined && this.addWellFormed(raw)) return this.failure === null;
    this.lineNumber = line?.number;
    const position = this.previous ? this.previous.seq + 1 : 1;
    const at = where(line, position);
    if (!isPlainAuditEntry(raw)) {
      return this.fail(VerifyFailure.Malformed, position, `${at} is malformed: ${entryProblem(raw)}`);
    }
    const entry = raw;
    const wrongValue = hashFormProblem(entry);
    if (wrongValue !== null)
      return this.fail(VerifyFailure.Malformed, position, `${at} is malformed: ${wrongValue}`);
    const wrongForType = typeRuleProblem(entry);
    if (wrongForType !== null)
      return this.fail(VerifyFailure.TypeRule, position, `${at} breaks the format: ${wrongForType}`);
    const [head, tail] = knownEntryParts(entry);
    let body: string;
    if (line === undefined) body = head + tail;
    else {
      const member = `,"hash":${quote(entry.hash)}`;
      const canonical = head + member + tail;
      if (line.text !== canonical) {
        const code =
          repeatedMember(line.text) === null ? VerifyFailure.NotCanonical : VerifyFailure.RepeatedMember;
        return this.fail(code, position, `${at} ${lineProblem(line.text, canonical)}`);
      }
      // Equal, and flat where the canonical encoding is a rope: cut the hash input from the line.
      body = line.text.slice(0, head.length) + line.text.slice(head.length + member.length);
    }
    const hash = sha256Hex(body);
    this.count += 1;
    if (this.previous === null) {
      if (entry.seq !== 1 && !this.options.allowPruned) {
        return this.fail(
          VerifyFailure.Pruned,
          1,
          `log starts at seq ${entry.seq}: earlier entries were deleted`,
        );
      }
      if (entry.seq === 1 && entry.prevHash !== GENESIS_HASH)
        return this.fail(VerifyFailure.NotGenesis, 1, 'first entry does not start the chain');
    } else {
      if (entry.seq !== this.previous.seq + 1) {
        return this.fail(
          VerifyFailure.SeqGap,
          this.previous.seq + 1,
          `expected seq ${this.previous.seq + 1}, found ${entry.seq}: entries were deleted, reordered or inserted`,
        );
      }
      if (entry.prevHash !== this.previous.hash) {
        return this.fail(
          VerifyFailure.BrokenLink,
          entry.seq,
          `entry ${entry.seq} does not link to entry ${this.previous.seq}`,
        );
      }
    }
    if (hash !== entry.hash)
      return this.fail(
        VerifyFailure.Altered,
        entry.seq,
        `entry ${entry.seq} was altered after it was written`,
      );
    if (this.previous === null) this.firstSeq = entry.seq;
    const reference = this.referenceProblem(entry);
    if (reference !== null)
      return this.fail(VerifyFailure.BadGrantEntry, entry.seq, `entry ${entry.seq} ${reference}`);
    if (this.options.head && entry.seq === this.options.head.seq) {
      if (entry.hash !== this.options.head.hash) {
        return this.fail(
          VerifyFailure.HeadMismatch,
          entry.seq,
          `entry ${entry.seq} differs from the recorded head: the log was rewritten`,
        );
      }
      this.anchorSeen = true;
    }
    this.previous = { seq: entry.seq, hash: entry.hash };
    return true;
  }

  /**
   * {@link add} for an entry read from a store, when it is well formed and follows the previous
   * one: true once it is verified, or has failed on its `grantEntry` as `add` would; false, having
   * changed nothing, for anything else, which `add` then checks the general way and names. What
   * this skips is only what the checks made here already prove: `prevHash` equals the previous
   * entry's verified hash and `hash` equals the digest computed here, so both are 64 hex digits.
   */
  private addWellFormed(raw: unknown): boolean {
    const previous = this.previous;
    if (previous === null) return false;
    const body = wellFormedEntryBody(raw);
    if (body === undefined) return false;
    const entry = raw as AuditEntry;
    if (entry.seq !== previous.seq + 1 || entry.prevHash !== previous.hash) return false;
    if (entry.grantEntry != null && !HASH.test(entry.grantEntry.hash)) return false;
    if (typeRuleProblem(entry) !== null || this.options.head?.seq === entry.seq) return false;
    if (sha256Hex(body) !== entry.hash) return false;
    this.lineNumber = undefined;
    this.count += 1;
    const reference = this.referenceProblem(entry);
    if (reference !== null)
      this.fail(VerifyFailure.BadGrantEntry, entry.seq, `entry ${entry.seq} ${reference}`);
    else this.previous = { seq: entry.seq, hash: entry.hash };
    return true;
  }

  /**
   * What is wrong with the entry an outcome names as its grant's (`grantEntry`), or null. Entries
   * that issue a grant are remembered until their grant's outcome, which must name one exactly.
   */
  private referenceProblem(entry: AuditEntry): string | null {
    const { grantId } = entry;
    if (grantId === null) return null;
    if (entry.type === 'allowed' || entry.type === 'granted') {
      this.issuers.set(grantId, { seq: entry.seq, hash: entry.hash, fingerprint: entry.fingerprint });
      return null;
    }
    if (!isOutcome(entry.type)) return null;
    const issuer = this.issuers.get(grantId);
    this.issuers.delete(grantId);
    const ref = entry.grantEntry;
    if (ref == null) return null;
    if (ref.seq >= entry.seq) return `names grantEntry ${ref.seq}, which is not earlier in the chain`;
    if (issuer === undefined) {
      // Pruned by retention: the entry it names is no longer in the log to check (or to read).
      if (this.options.allowPruned && ref.seq < this.firstSeq) return null;
      return `names grantEntry ${ref.seq}, but no earlier entry of this log issued grant ${grantId}`;
    }
    if (issuer.seq !== ref.seq) {
      return `names grantEntry ${ref.seq}, but grant ${grantId} was issued by entry ${issuer.seq}`;
    }
    if (issuer.hash !== ref.hash) return `names grantEntry ${ref.seq} with a hash that entry does not have`;
    if (issuer.fingerprint !== entry.fingerprint) {
      return `names grantEntry ${ref.seq}, which issued grant ${grantId} for another call (fingerprint)`;
    }
    return null;
  }

  /** Fails at `line` for what its text is before it is an entry: not UTF-8, empty, not JSON. */
  refuseLine(code: VerifyFailure, line: number, problem: string): false {
    if (this.failure) return false;
    this.lineNumber = line;
    return this.fail(code, this.previous ? this.previous.seq + 1 : 1, `line ${line} ${problem}`);
  }

  result(): VerifyResult {
    if (this.failure) return this.failure;
    const head = this.options.head;
    if (head && !this.anchorSeen) {
      const last = this.previous?.seq ?? 0;
      return {
        ok: false,
        code: VerifyFailure.Truncated,
        entries: this.count,
        brokenAt: last + 1,
        problem: `log ends at seq ${last} but the recorded head is seq ${head.seq}: it was truncated`,
      };
    }
    const last = this.previous;
    return { ok: true, entries: this.count, head: last ? { seq: last.seq, hash: last.hash } : null };
  }

  private fail(code: VerifyFailure, brokenAt: number, problem: string): false {
    this.failure = { ok: false, code, entries: this.count, brokenAt, problem };
    if (this.lineNumber !== undefined) this.failure.line = this.lineNumber;
    return false;
  }
}

/** How a failure names the entry it found wrong: by line in an export, else by position. */
function where(line: AuditLine | undefined, position: number): string {
  return line ? `line ${line.number}` : `entry after seq ${position - 1}`;
}

const HASH = /^[0-9a-f]{64}$/;
const ENTRY_MEMBER_NAMES: ReadonlySet<string> = new Set(Object.keys(auditEntryShape.members));
const V1_MEMBER_NAMES: ReadonlySet<string> = new Set(Object.keys(auditEntryV1Shape.members));
const ACTION_MEMBER_NAMES: ReadonlySet<string> = new Set(Object.keys(redactedActionShape.members));

/** Why `raw` is not an entry, naming the member: only called once it has failed the shape check. */
function entryProblem(raw: unknown): string {
  if (!isPlainObject(raw)) return 'it is not a plain JSON object';
  // An entry without `formatVersion` is read as version 1 (docs/audit-format.md, section 1).
  const v1 = !Object.hasOwn(raw, 'formatVersion');
  if (!v1 && raw.formatVersion !== AUDIT_FORMAT_VERSION) {
    return `"formatVersion" ${JSON.stringify(raw.formatVersion)} is not a version this verifier knows (1 and 2): verify it with a newer countersign`;
  }
  const stray =
    strayMember(raw, v1 ? V1_MEMBER_NAMES : ENTRY_MEMBER_NAMES, '') ??
    (isPlainObject(raw.action) ? strayMember(raw.action, ACTION_MEMBER_NAMES, 'action.') : null);
  if (stray !== null) return `member "${stray}" is not part of the entry format`;
  const parsed = (v1 ? auditEntryV1Shape.schema : auditEntrySchema).safeParse(raw);
  return parsed.success ? 'it is not plain JSON data' : formatIssues(parsed.error).join('; ');
}

function strayMember(record: Record<string, unknown>, known: ReadonlySet<string>, prefix: string) {
  const stray = Object.keys(record).find((key) => !known.has(key));
  return stray === undefined ? null : prefix + stray;
}

/**
 * Verifies an exported log (JSON lines, as `audit.export()` writes) without the store, so an
 * auditor can check a copy offline. Every line must be the canonical encoding of its entry,
 * terminated by `\n` (the last one may omit it); an empty line is an error. Given bytes (a file
 * as read), they must be UTF-8: a byte that is not fails at its line, never replaced by U+FFFD.
 */
export function verifyAuditLog(log: string | Uint8Array, options?: VerifyOptions): VerifyResult {
  const verifier = new AuditVerifier(options);
  const decoded = typeof log === 'string' ? { ok: true as const, text: log } : decodeStrictUtf8(log);
  const lines = decoded.text.split('\n');
  // The text ends with `\n` (or is empty): nothing follows the last line. Undecodable bytes follow it.
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0]?.startsWith('\uFEFF')) {
    verifier.refuseLine(
      VerifyFailure.ByteOrderMark,
      1,
      'starts with a byte order mark (U+FEFF): the log is UTF-8 without one',
    );
    return verifier.result();
  }
  for (const [i, text] of lines.entries()) {
    const number = i + 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      if (text.trim() === '') verifier.refuseLine(VerifyFailure.EmptyLine, number, 'is empty');
      else verifier.refuseLine(VerifyFailure.NotJson, number, 'is not JSON');
      return verifier.result();
    }
    if (!verifier.add(parsed, { text, number })) return verifier.result();
  }
  if (!decoded.ok) verifier.refuseLine(VerifyFailure.NotUtf8, decoded.line, 'is not valid UTF-8');
  return verifier.result();
}
