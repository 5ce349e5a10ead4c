// The audit entries of one request, read from the chain a page at a time.
import type { AuditEntry, Countersign } from '@countersign/core';

const PAGE = 1_000;

/** Core's store has no per-request audit index, so this walks the whole chain: its cost grows with the log. */
export async function requestAudit(cs: Countersign, requestId: string): Promise<AuditEntry[]> {
  const found: AuditEntry[] = [];
  let after = 0;
  for (;;) {
    const page = await cs.audit.entries(after, PAGE);
    for (const entry of page) if (entry.requestId === requestId) found.push(entry);
    const last = page[page.length - 1];
    if (page.length < PAGE || last === undefined) return found;
    after = last.seq;
  }
}
