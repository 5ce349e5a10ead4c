// Builds docs/audit-vectors/: audit logs written by core, valid and broken, and the verdict a verifier must give each.
// Run `npx tsx --conditions=@countersign/source scripts/audit-vectors.ts` to rewrite them; a test holds them to this file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AuditDraft,
  type AuditEntry,
  canonicalJson,
  createCountersign,
  type GuardAction,
  IssuedGrantEntries,
  type PolicyRule,
  sealAuditEntries,
} from '../packages/core/src/index.js';
import { emptyDraft, hashAuditEntry, toJsonLines } from '../packages/core/src/model/audit.js';
import { createRecordingTransport, createTestClock } from '../packages/core/src/testing/index.js';
import { createMemoryStore } from '../packages/memory-store/src/index.js';

export const VECTORS_DIR = fileURLToPath(new URL('../docs/audit-vectors/', import.meta.url));

export type Verdict =
  | { valid: true; entries: number; head: { seq: number; hash: string } | null }
  | { valid: false; code: string; line: number };

export interface Vector {
  /** Relative to docs/audit-vectors/. */
  file: string;
  description: string;
  /** Verify as a log whose oldest entries were pruned (`allowPruned`). */
  allowPruned: boolean;
  expect: Verdict;
}

export interface VectorSet {
  /** Each file's exact bytes, by path relative to docs/audit-vectors/. */
  files: Map<string, Uint8Array>;
  vectors: Vector[];
}

/** Every flow starts at this instant, on a test clock that moves only when told. */
const T0 = Date.UTC(2026, 0, 2, 9, 30);

const POLICY: PolicyRule[] = [
  { id: 'reads-ok', match: { action: 'db.read*' }, effect: 'allow' },
  {
    id: 'exports-need-two',
    match: { action: 'db.export', resource: 'prod/*' },
    effect: 'require_approval',
    approvers: { groups: ['data-owners'] },
    quorum: 2,
  },
  {
    id: 'deploys-need-one',
    match: { action: 'infra.deploy' },
    effect: 'require_approval',
    approvers: { users: ['user:alice'] },
  },
  { id: 'no-iam', match: { action: 'iam.*' }, effect: 'deny' },
];
const DIRECTORY = { 'user:bob': { groups: ['data-owners'] }, 'user:carol': { groups: ['data-owners'] } };
const CONTEXT = { actor: 'agent:report-bot', reason: 'Q3 revenue report', sessionId: 'sess_42' };

type Flow = (tools: {
  cs: ReturnType<typeof createCountersign>;
  other: ReturnType<typeof createCountersign>;
  clock: ReturnType<typeof createTestClock>;
  transport: ReturnType<typeof createRecordingTransport>;
}) => Promise<void>;

/**
 * Runs `flow` on a fresh instance and returns its log, with the random request and grant ids
 * renamed in order of appearance (`req_…01`, `grt_…01`) and the chain sealed again, so the same
 * code writes the same bytes on every run.
 */
async function recorded(flow: Flow): Promise<AuditEntry[]> {
  const clock = createTestClock(T0);
  const store = createMemoryStore();
  const transport = createRecordingTransport();
  const options = { store, clock, policy: POLICY, directory: DIRECTORY, transports: [transport] };
  const cs = createCountersign(options);
  // A resource server's own instance on the same store: its grant checks are `consumed` entries.
  const other = createCountersign({ ...options, transports: [createRecordingTransport()] });
  await flow({ cs, other, clock, transport });
  const entries = await cs.audit.entries(0, 1000);
  await Promise.all([cs.close(), other.close()]);
  const names = new Map<string, string>();
  const rename = (id: string) => {
    if (!names.has(id)) {
      const n = [...names.keys()].filter((known) => known.slice(0, 4) === id.slice(0, 4)).length + 1;
      names.set(id, `${id.slice(0, 4)}${String(n).padStart(20, '0')}`);
    }
    return names.get(id)!;
  };
  const drafts = entries.map(({ seq: _s, prevHash: _p, hash: _h, ...draft }) => {
    return JSON.parse(canonicalJson(draft).replace(/\b(req|grt)_[0-9a-z]{20}\b/g, rename)) as AuditDraft;
  });
  // Sealed again after renaming: an outcome gets its grant's action object back, so sealing names
  // the (rewritten) entry that issued it, as the store did.
  for (const draft of drafts) {
    if (draft.grantEntry != null) {
      draft.action = drafts[draft.grantEntry.seq - 1]!.action;
      draft.grantEntry = null;
    }
  }
  return sealAuditEntries(null, drafts, new IssuedGrantEntries());
}

const read = (table: string): GuardAction<string> => ({
  name: 'db.read',
  resource: 'prod/db',
  params: { table },
  run: () => 'rows',
});

/** An allowed call whose action uses its grant: `allowed`, then `executed` with `consumedAt`. */
const allowFlow: Flow = async ({ cs, clock }) => {
  const params = { table: 'orders', limit: 100 };
  await cs.guard(
    {
      name: 'db.read',
      resource: 'prod/db',
      params,
      run: async (grant) => {
        await clock.advance(1_000);
        await cs.grants.consume(grant.token, {
          name: 'db.read',
          resource: 'prod/db',
          params,
          sessionId: 'sess_42',
        });
        await clock.advance(1_000);
        return 'rows';
      },
    },
    CONTEXT,
  );
};

/** Two approvals reach the quorum: requested, delivered, decided, approved, granted, executed. */
const approvalFlow: Flow = async ({ cs, clock, transport }) => {
  const run = cs.guard(
    {
      name: 'db.export',
      resource: 'prod/customers',
      params: { table: 'customers', format: 'csv' },
      run: () => 'csv',
    },
    CONTEXT,
  );
  const request = await transport.nextDelivery();
  await clock.advance(60_000);
  await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', comment: 'ok for Q3', via: 'api' });
  await clock.advance(30_000);
  await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve', via: 'slack' });
  await run;
};

/** A policy denial, and a person's denial: policy_denied; requested, delivered, denied. */
const denialFlow: Flow = async ({ cs, clock, transport }) => {
  await cs
    .guard({ name: 'iam.grantRole', resource: 'prod', params: { role: 'admin' }, run: () => 1 }, CONTEXT)
    .catch(() => {});
  const run = cs.guard(
    { name: 'infra.deploy', resource: 'prod/api', params: { version: '2.4.1' }, run: () => 1 },
    CONTEXT,
  );
  const request = await transport.nextDelivery();
  await clock.advance(5_000);
  await cs.decide(request.id, {
    approver: 'user:alice',
    outcome: 'deny',
    comment: 'not during the freeze',
    via: 'teams',
  });
  await run.catch(() => {});
};

/** A grant checked by another instance on the same store: `consumed` is its own entry, and the outcome says null. */
const consumedElsewhereFlow: Flow = async ({ cs, other, clock }) => {
  const params = { table: 'invoices' };
  await cs.guard(
    {
      name: 'db.read',
      resource: 'prod/db',
      params,
      run: async (grant) => {
        await clock.advance(1_000);
        await other.grants.consume(grant.token, {
          name: 'db.read',
          resource: 'prod/db',
          params,
          sessionId: 'sess_42',
        });
        return 'rows';
      },
    },
    CONTEXT,
  );
  await cs.guard(read('payments'), CONTEXT);
};

/** A draft of `type` at `at` with the members its type requires, as core writes them. */
function draft(type: AuditDraft['type'], at: number, members: Partial<AuditDraft> = {}): AuditDraft {
  return { ...emptyDraft(type, at), actor: 'agent:report-bot', sessionId: 'sess_42', ...members };
}

/** Strings and numbers whose canonical form a verifier in another language must reproduce exactly. */
function awkwardDrafts(): AuditDraft[] {
  const action = {
    name: 'files.upload',
    resource: 'bucket/é',
    // Keys sort by UTF-16 code units: "\u{1F600}" (D83D DE00) before "\uFB01", unlike by code point.
    params: {
      '\uFB01': 'ligature',
      '\u{1F600}': 'emoji',
      é: 'accent',
      Z: 'upper',
      a: 'lower',
      '1': 'digit',
      numbers: [1e21, 1e-7, -0, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, -1.5, 100],
      text: 'tab\tnewline\ncontrol\u0001\u001f quote" backslash\\ slash/ del\u007f seps\u2028\u2029',
    },
    paramsHash: 'a'.repeat(64),
    redactedPaths: ['auth.token', 'rows[2].ssn'],
  };
  return [
    draft('requested', T0, { requestId: 'req_00000000000000000001', action, reason: 'Grüße, 日本, 🎉' }),
    // An action's error, cut at 500 UTF-16 units by core, can end in half a surrogate pair.
    draft('failed', T0 + 1, {
      requestId: 'req_00000000000000000001',
      grantId: 'grt_00000000000000000001',
      action,
      detail: 'Error: upload of \ud83d',
    }),
  ];
}

export async function buildVectors(): Promise<VectorSet> {
  const files = new Map<string, Uint8Array>();
  const vectors: Vector[] = [];
  const encode = (text: string) => new TextEncoder().encode(text);
  const add = (
    file: string,
    bytes: Uint8Array | string,
    description: string,
    expect: Verdict,
    allowPruned = false,
  ) => {
    files.set(file, typeof bytes === 'string' ? encode(bytes) : bytes);
    vectors.push({ file, description, allowPruned, expect });
  };
  const valid = (entries: readonly AuditEntry[]): Verdict => {
    const last = entries[entries.length - 1];
    return { valid: true, entries: entries.length, head: last ? { seq: last.seq, hash: last.hash } : null };
  };
  const invalid = (code: string, line: number): Verdict => ({ valid: false, code, line });
  const lines = (entries: readonly AuditEntry[]) => toJsonLines(entries).split('\n').slice(0, -1);
  const joined = (text: readonly string[]) => `${text.join('\n')}\n`;

  const allow = await recorded(allowFlow);
  const approval = await recorded(approvalFlow);
  const denial = await recorded(denialFlow);
  const elsewhere = await recorded(consumedElsewhereFlow);
  const awkward = sealAuditEntries(null, awkwardDrafts());

  add('valid/empty.jsonl', '', 'An empty log: zero bytes. It verifies, with no head.', valid([]));
  add(
    'valid/single.jsonl',
    toJsonLines(allow.slice(0, 1)),
    'One entry, ended by a newline.',
    valid(allow.slice(0, 1)),
  );
  add(
    'valid/no-final-newline.jsonl',
    toJsonLines(allow.slice(0, 1)).slice(0, -1),
    'The same entry without the final newline, which the last line may omit.',
    valid(allow.slice(0, 1)),
  );
  add(
    'valid/allow.jsonl',
    toJsonLines(allow),
    'An allowed call whose action used its grant: allowed, executed with consumedAt.',
    valid(allow),
  );
  add(
    'valid/approval.jsonl',
    toJsonLines(approval),
    'Two approvals reach a quorum of 2: requested, delivered, decided, approved, granted, executed.',
    valid(approval),
  );
  add(
    'valid/denials.jsonl',
    toJsonLines(denial),
    'A policy denial, then a person denies a request.',
    valid(denial),
  );
  add(
    'valid/consumed-elsewhere.jsonl',
    toJsonLines(elsewhere),
    'A grant consumed through another instance: a consumed entry (consumedAt equals at), and an executed entry whose consumedAt is null.',
    valid(elsewhere),
  );
  add(
    'valid/awkward-text.jsonl',
    toJsonLines(awkward),
    'Non-ASCII text, escapes, keys ordered by UTF-16 code units, numbers in ECMAScript form, and a lone surrogate written as \\ud83d.',
    valid(awkward),
  );
  const pruned = approval.slice(2);
  add(
    'valid/pruned.jsonl',
    toJsonLines(pruned),
    'The approval log without its first two entries, verified with allowPruned: it starts at seq 3, and its first prevHash cannot be checked.',
    valid(pruned),
    true,
  );
  add(
    'invalid/pruned.jsonl',
    toJsonLines(pruned),
    'The same pruned log, verified without allowPruned.',
    invalid('pruned', 1),
  );

  const times = sealAuditEntries(null, [
    draft('policy_denied', 0, { ruleId: 'default' }),
    draft('policy_denied', Number.MAX_SAFE_INTEGER, { ruleId: 'default' }),
    draft('policy_denied', 1.5, { ruleId: 'default' }),
  ]);
  add(
    'valid/time-edges.jsonl',
    toJsonLines(times),
    '"at" of 0, of 2^53 - 1, and 1.5: any finite number, written as ECMAScript writes it.',
    valid(times),
  );
  const last = sealAuditEntries({ seq: Number.MAX_SAFE_INTEGER - 1, hash: approval[0]!.hash }, [
    draft('reminded', T0),
  ]);
  add(
    'valid/seq-max.jsonl',
    toJsonLines(last),
    'A pruned log whose one entry has seq 2^53 - 1, the largest.',
    valid(last),
    true,
  );
  const past = sealAuditEntries({ seq: Number.MAX_SAFE_INTEGER - 1, hash: approval[0]!.hash }, [
    draft('reminded', T0),
    draft('reminded', T0),
  ]);
  add(
    'invalid/seq-past-max.jsonl',
    toJsonLines(past),
    'The entry after seq 2^53 - 1 would have seq 2^53, which is malformed.',
    invalid('malformed', 2),
    true,
  );

  const base = lines(approval);
  const edit = (n: number, change: (line: string) => string) =>
    base.map((line, i) => (i === n - 1 ? change(line) : line));
  const at = (text: string) => edit(2, (line) => line.replace(/"at":\d+/, `"at":${text}`));
  add(
    'invalid/at-unsafe-integer.jsonl',
    joined(at('9007199254740993')),
    '"at" 2^53 + 1 is not a double: it reads as 2^53, whose canonical form differs.',
    invalid('not_canonical', 2),
  );
  add(
    'invalid/at-trailing-zero.jsonl',
    joined(at(`${approval[1]!.at}.0`)),
    '"at" written with ".0": not its canonical form.',
    invalid('not_canonical', 2),
  );
  add(
    'invalid/at-exponent.jsonl',
    joined(at(approval[1]!.at.toExponential())),
    '"at" written with an exponent where ECMAScript writes digits.',
    invalid('not_canonical', 2),
  );
  add(
    'invalid/at-negative-zero.jsonl',
    joined(edit(1, (line) => line.replace(/"at":\d+/, '"at":-0'))),
    '"at" -0, whose canonical form is 0.',
    invalid('not_canonical', 1),
  );
  add(
    'invalid/at-string.jsonl',
    joined(at('"2026-01-02T09:30:00Z"')),
    '"at" as a string.',
    invalid('malformed', 2),
  );
  add(
    'invalid/seq-zero.jsonl',
    joined(edit(1, (line) => line.replace('"seq":1,', '"seq":0,'))),
    'seq 0.',
    invalid('malformed', 1),
  );

  add(
    'invalid/tampered-detail.jsonl',
    joined(edit(4, (line) => line.replace('2 of 2 approvals', '3 of 2 approvals'))),
    'A member changed after sealing: its hash no longer matches.',
    invalid('altered', 4),
  );
  const hash3 = approval[2]!.hash;
  const flipped = `${hash3[0] === '0' ? '1' : '0'}${hash3.slice(1)}`;
  add(
    'invalid/tampered-hash.jsonl',
    joined(edit(3, (line) => line.replace(hash3, flipped))),
    'A hash changed: it is not the hash of its entry.',
    invalid('altered', 3),
  );
  add(
    'invalid/reordered.jsonl',
    joined([base[0]!, base[2]!, base[1]!, ...base.slice(3)]),
    'Lines 2 and 3 swapped.',
    invalid('seq_gap', 2),
  );
  add(
    'invalid/deleted.jsonl',
    joined(base.filter((_, i) => i !== 2)),
    'Line 3 deleted.',
    invalid('seq_gap', 3),
  );
  const relinked = sealAuditEntries({ seq: 2, hash: 'e'.repeat(64) }, [strip(approval[2]!)]);
  add(
    'invalid/wrong-prevhash.jsonl',
    joined([base[0]!, base[1]!, lines(relinked)[0]!, ...base.slice(3)]),
    "Entry 3 sealed after another entry: its own hash is right, its prevHash is not entry 2's hash.",
    invalid('broken_link', 3),
  );
  const notGenesis = sealAuditEntries({ seq: 0, hash: 'e'.repeat(64) }, [strip(approval[0]!)]);
  add(
    'invalid/not-genesis.jsonl',
    toJsonLines(notGenesis),
    'seq 1 whose prevHash is not 64 zeros.',
    invalid('not_genesis', 1),
  );
  // Version 1 (no formatVersion, no grantEntry: every outcome carries its action), then version 2.
  const v1 = rechain(
    null,
    restored(allow).map(({ formatVersion: _f, grantEntry: _g, ...draft }) => draft),
  );
  add(
    'valid/version-1.jsonl',
    toJsonLines(v1),
    'The allowed call as version 1 wrote it: 20 members an entry, no formatVersion, each outcome carrying its action.',
    valid(v1),
  );
  const mixed = [
    ...v1,
    ...sealAuditEntries(v1[v1.length - 1]!, restored(approval), new IssuedGrantEntries()),
  ];
  add(
    'valid/mixed-versions.jsonl',
    toJsonLines(mixed),
    'Version 1 entries, then version 2 ones in the same chain, as a store kept across an upgrade holds them.',
    valid(mixed),
  );
  const outcome = allow.findIndex((entry) => entry.grantEntry != null);
  const misnamed = rechain(
    null,
    allow.map((entry, i) =>
      i === outcome ? { ...strip(entry), grantEntry: { seq: 1, hash: 'a'.repeat(64) } } : strip(entry),
    ),
  );
  add(
    'invalid/bad-grant-entry.jsonl',
    toJsonLines(misnamed),
    'An outcome whose grantEntry names entry 1 with a hash entry 1 does not have (the chain rehashed after the edit).',
    invalid('bad_grant_entry', outcome + 1),
  );
  const future = rechain(null, [{ ...strip(allow[0]!), formatVersion: 3 } as unknown as AuditDraft]);
  add(
    'invalid/format-version-3.jsonl',
    toJsonLines(future),
    'An entry of a format version this verifier does not know.',
    invalid('malformed', 1),
  );
  const upper = sealAuditEntries({ seq: 40, hash: 'E'.repeat(64) }, [draft('reminded', T0)]);
  add(
    'invalid/prevhash-uppercase.jsonl',
    toJsonLines(upper),
    "A pruned log's first prevHash in uppercase hex: unchecked against the chain, but malformed.",
    invalid('malformed', 1),
    true,
  );

  const typeRule = (
    file: string,
    description: string,
    type: AuditDraft['type'],
    members: Partial<AuditDraft>,
  ) => {
    const entries = sealAuditEntries(null, [strip(approval[0]!), draft(type, T0 + 1, members)]);
    add(`invalid/${file}.jsonl`, toJsonLines(entries), description, invalid('type_rule', 2));
  };
  typeRule(
    'consumedat-on-requested',
    'consumedAt on a requested entry, where it must be null.',
    'requested',
    { consumedAt: T0 },
  );
  typeRule('consumedat-on-granted', 'consumedAt on a granted entry, where it must be null.', 'granted', {
    grantId: 'grt_00000000000000000009',
    consumedAt: T0,
  });
  typeRule('consumed-at-differs', 'A consumed entry whose consumedAt is not its at.', 'consumed', {
    grantId: 'grt_00000000000000000009',
    consumedAt: T0,
  });
  typeRule('outcome-on-granted', 'An outcome on an entry that is not a vote.', 'granted', {
    grantId: 'grt_00000000000000000009',
    outcome: 'approve',
  });
  typeRule('denied-with-approve', 'A denied entry whose outcome is "approve".', 'denied', {
    approver: 'user:bob',
    outcome: 'approve',
    via: 'api',
  });
  typeRule('vote-without-approver', 'An approved entry that names no approver.', 'approved', {
    outcome: 'approve',
    via: 'api',
  });
  typeRule('allowed-without-grant', 'An allowed entry that names no grant.', 'allowed', {});

  add(
    'invalid/unknown-member.jsonl',
    joined(edit(2, (line) => line.replace('"at":', '"approvedBy":"user:ceo","at":'))),
    'A member the format does not have.',
    invalid('malformed', 2),
  );
  add(
    'invalid/unknown-action-member.jsonl',
    joined(edit(2, (line) => line.replace('"action":{', '"action":{"approvedBy":"user:ceo",'))),
    'A member inside action that the format does not have.',
    invalid('malformed', 2),
  );
  add(
    'invalid/missing-member.jsonl',
    joined(edit(2, (line) => line.replace(/"comment":null,/, ''))),
    'The comment member left out.',
    invalid('malformed', 2),
  );
  add(
    'invalid/repeated-member.jsonl',
    joined(
      edit(4, (line) =>
        line.replace('"approver":"user:carol"', '"approver":"user:mallory","approver":"user:carol"'),
      ),
    ),
    'A member given twice; JSON.parse would keep the genuine last one.',
    invalid('repeated_member', 4),
  );
  add(
    'invalid/whitespace.jsonl',
    joined(edit(2, (line) => line.replace('"actor":', '"actor": '))),
    'A space after a colon.',
    invalid('not_canonical', 2),
  );
  add(
    'invalid/member-order.jsonl',
    joined(edit(2, (line) => reorder(line))),
    'hash written first instead of in sorted order.',
    invalid('not_canonical', 2),
  );
  add(
    'invalid/escaped-letter.jsonl',
    joined(edit(2, (line) => line.replace('"agent:report-bot"', '"\\u0061gent:report-bot"'))),
    'A letter written as a \\u escape.',
    invalid('not_canonical', 2),
  );
  add(
    'invalid/crlf.jsonl',
    `${base.join('\r\n')}\r\n`,
    'Lines ended by CRLF: the \\r is part of the line, which is then not canonical.',
    invalid('not_canonical', 1),
  );
  add(
    'invalid/empty-line.jsonl',
    joined([base[0]!, '', ...base.slice(1)]),
    'An empty line between entries.',
    invalid('empty_line', 2),
  );
  add(
    'invalid/two-final-newlines.jsonl',
    `${joined(base)}\n`,
    'Two newlines at the end: the last line is empty.',
    invalid('empty_line', base.length + 1),
  );
  add(
    'invalid/newline-only.jsonl',
    '\n',
    'A newline alone is one empty line, not an empty log.',
    invalid('empty_line', 1),
  );
  add(
    'invalid/not-json.jsonl',
    joined([base[0]!, base[1]!.slice(0, -1)]),
    'A line cut short.',
    invalid('not_json', 2),
  );
  add(
    'invalid/byte-order-mark.jsonl',
    `\ufeff${joined(base)}`,
    'A UTF-8 byte order mark before the first line.',
    invalid('byte_order_mark', 1),
  );
  add(
    'invalid/binary.jsonl',
    Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x0a, 0xc0, 0xaf),
    'Not text: gzip header bytes.',
    invalid('not_utf8', 1),
  );
  const good = encode(joined(base.slice(0, 2)));
  const line3 = encode(`${base[2]!}\n`);
  const at3 = line3.indexOf(0x22 /* the first quote */);
  add(
    'invalid/invalid-byte.jsonl',
    Uint8Array.from([...good, ...line3.subarray(0, at3 + 1), 0xff, ...line3.subarray(at3 + 1)]),
    'One byte 0xFF inside line 3: a decoder that replaced it with U+FFFD would read another text.',
    invalid('not_utf8', 3),
  );
  const surrogate = encode(joined([lines(awkward)[0]!, lines(awkward)[1]!.replace('\\ud83d', 'X')]));
  const x = surrogate.lastIndexOf(0x58 /* X */);
  add(
    'invalid/raw-surrogate.jsonl',
    Uint8Array.from([...surrogate.subarray(0, x), 0xed, 0xa0, 0xbd, ...surrogate.subarray(x + 1)]),
    'A lone surrogate written as raw bytes (ED A0 BD) instead of the \\ud83d escape: not UTF-8.',
    invalid('not_utf8', 2),
  );
  return { files, vectors };
}

/** An entry's draft: what sealing it again after another head needs. */
/** Drafts chained as they are after `head`, each hashed as it stands (sealing would rewrite members). */
function rechain(head: AuditEntry | null, drafts: readonly AuditDraft[]): AuditEntry[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? '0'.repeat(64);
  return drafts.map((draft) => {
    seq += 1;
    const entry = { ...draft, seq, prevHash, hash: '' } as AuditEntry;
    entry.hash = hashAuditEntry(entry);
    prevHash = entry.hash;
    return entry;
  });
}

/** A log's drafts with each outcome carrying its action again (the one object its grant's entry holds). */
function restored(entries: readonly AuditEntry[]): AuditDraft[] {
  const drafts = entries.map(strip);
  for (const draft of drafts) {
    if (draft.grantEntry != null) {
      draft.action = drafts[draft.grantEntry.seq - entries[0]!.seq]!.action;
      draft.grantEntry = null;
    }
  }
  return drafts;
}

function strip({ seq: _s, prevHash: _p, hash: _h, ...draft }: AuditEntry): AuditDraft {
  return draft;
}

/** The same entry with `hash` moved to the front. */
function reorder(line: string): string {
  const { hash, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return JSON.stringify({ hash, ...JSON.parse(canonicalJson(rest)) });
}

/** The manifest as written: each file's verdict, for a verifier in any language to run. */
export function manifestJson(vectors: readonly Vector[]): string {
  return `${JSON.stringify({ format: 'countersign audit log, version 1 (docs/audit-format.md)', vectors }, null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { files, vectors } = await buildVectors();
  for (const [file, bytes] of files) {
    mkdirSync(dirname(join(VECTORS_DIR, file)), { recursive: true });
    writeFileSync(join(VECTORS_DIR, file), bytes);
  }
  writeFileSync(join(VECTORS_DIR, 'manifest.json'), manifestJson(vectors));
}
