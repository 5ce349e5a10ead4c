// readAuditEntries: an audit log as an async iterable, read a page at a time.
import type { AuditEntry } from '@countersign/core';

/** Anything that reads the chain by pages: `cs.audit`, or `{ entries: (a, l) => store.readAudit(a, l) }`. */
export interface AuditSource {
  entries(afterSeq: number, limit: number): Promise<readonly AuditEntry[]>;
}

/**
 * Yields every entry after `afterSeq`, oldest first, reading `pageSize` at a time, so a log of any
 * length streams into `toOcsf` or a file without being held in memory.
 */
export async function* readAuditEntries(
  source: AuditSource,
  options: { afterSeq?: number | undefined; pageSize?: number | undefined } = {},
): AsyncGenerator<AuditEntry> {
  const pageSize = options.pageSize ?? 1_000;
  let after = options.afterSeq ?? 0;
  for (;;) {
    const page = await source.entries(after, pageSize);
    yield* page;
    const last = page[page.length - 1];
    if (page.length < pageSize || last === undefined) return;
    after = last.seq;
  }
}
