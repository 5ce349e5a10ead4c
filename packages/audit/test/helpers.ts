import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  type AuditEntry,
  type Countersign,
  canonicalJson,
  createCountersign,
  IssuedGrantEntries,
  sealAuditEntries,
} from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';

export function ed25519(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

/** An instance whose policy allows `db.read` (2 audit entries a call: allowed, executed) and denies the rest. */
export function allowingCountersign(): Countersign {
  return createCountersign({
    store: createMemoryStore(),
    policy: [{ id: 'reads-ok', match: { action: 'db.read' }, effect: 'allow' }],
  });
}

export async function readRows(cs: Countersign, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await cs.guard(
      { name: 'db.read', resource: 'prod/customers', params: { i }, run: () => i },
      { actor: 'agent:report-bot', reason: 'weekly report', sessionId: 'sess_1' },
    );
  }
}

export function parseLog(jsonl: string): AuditEntry[] {
  return jsonl
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as AuditEntry);
}

/** Entries as an exported log: one canonical JSON line each. */
export function toLog(entries: readonly AuditEntry[]): string {
  return entries.map((entry) => `${canonicalJson(entry)}\n`).join('');
}

/** The log with `change` applied to one entry and every hash recomputed: a valid chain, rewritten. */
export function rewrite(jsonl: string, seq: number, change: Partial<AuditEntry>): string {
  const drafts = parseLog(jsonl).map(({ seq: s, prevHash: _p, hash: _h, ...draft }) =>
    s === seq ? { ...draft, ...change } : draft,
  );
  return toLog(sealAuditEntries(null, drafts, new IssuedGrantEntries()));
}
