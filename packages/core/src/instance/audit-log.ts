// countersign.audit: the store's audit log, verified, exported, and read a page or the head at a time.
import { type AuditEntry, toJsonLines } from '../model/audit.js';
import { auditPageList, checkAuditHead, checkAuditPage } from '../model/audit-reads.js';
import { AuditVerifier } from '../model/audit-verify.js';
import { pageSchema, parseInput, readVerifyOptions } from '../model/schemas.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Countersign } from './countersign-api.js';

const AUDIT_PAGE = 1_000;

/** The instance's `audit` member, reading `runtime`'s store. */
export function auditLog(runtime: Runtime): Countersign['audit'] {
  return {
    verify: async (options) => {
      const verifier = new AuditVerifier(readVerifyOptions(options));
      // Unchecked pages: the verifier reports a bad entry as a failed verification, with its seq.
      for await (const page of auditPages(runtime, false)) {
        if (!page.every((entry) => verifier.add(entry))) break;
      }
      return verifier.result();
    },
    export: async () => {
      const entries: AuditEntry[] = [];
      for await (const page of auditPages(runtime)) entries.push(...page);
      return toJsonLines(entries);
    },
    entries: async (afterSeq = 0, limit = AUDIT_PAGE) => {
      parseInput(pageSchema, { afterSeq, limit }, 'audit page');
      const page = await runtime.call('readAudit', () => runtime.store.readAudit(afterSeq, limit));
      return checkAuditPage(page, afterSeq, limit);
    },
    head: async () => checkAuditHead(await runtime.call('auditHead', () => runtime.store.auditHead())),
  };
}

/** The chain a page at a time: one await per page, not per entry. */
async function* auditPages(runtime: Runtime, check = true): AsyncGenerator<AuditEntry[]> {
  let after = 0;
  for (;;) {
    const raw = await runtime.call('readAudit', () => runtime.store.readAudit(after, AUDIT_PAGE));
    const page = check ? checkAuditPage(raw, after, AUDIT_PAGE) : auditPageList(raw);
    if (page.length > 0) yield page;
    const last = page[page.length - 1];
    if (page.length < AUDIT_PAGE || last === undefined) return;
    after = last.seq;
  }
}
