// Batch decisions: one approver decides several pending requests at once, all or nothing, each audited on its own.
import { z } from 'zod';
import type { BatchDecisionInput, BatchDecisionResult, DecisionResult } from '../contracts/transport.js';
import { BatchRefusedError, CorruptRecordError, isCountersignError, ValidationError } from '../lib/errors.js';
import { newRequestId } from '../lib/ids.js';
import { readInput, readMembers } from '../lib/input.js';
import { type ApprovalRequest, canTransition } from '../model/approval.js';
import type { AuditDraft } from '../model/audit.js';
import { identitySchema, parseInput } from '../model/schemas.js';
import type { Runtime } from '../runtime/runtime.js';
import { checkRequest } from '../runtime/stored-records.js';
import { type CheckedDecision, checkDecidable, decisionStep } from './decisions.js';

/** Most requests one batch may decide. */
export const MAX_BATCH = 100;

/** One decision applied to several requests, each named with the params hash the approver saw. */
const batchSchema = z.object({
  approver: identitySchema,
  outcome: z.enum(['approve', 'deny']),
  comment: z.string().max(2000).optional(),
  via: z.string().min(1).max(64).optional(),
  justThisCall: z.boolean().optional(),
  requests: z
    .array(z.object({ id: z.string().min(1).max(256), paramsHash: z.string().min(1).max(128) }))
    .min(1)
    .max(MAX_BATCH),
});
const BATCH_KEYS = Object.keys(batchSchema.shape);

const MAX_ATTEMPTS = 20;

/**
 * Records one approver's decision on every listed request, or on none. Each request must be one
 * the approver could decide alone through `decide` (pending, eligible, not their own, not yet voted,
 * with any comment its rule requires) and still hold the params hash they were shown. Any that is
 * not refuses the whole batch with `BatchRefusedError` naming each problem; refusals `decide`
 * audits are audited here too. Needs a store with `updateRequests` for more than one request.
 */
export async function decideBatch(runtime: Runtime, input: BatchDecisionInput): Promise<BatchDecisionResult> {
  const members = readMembers(input, BATCH_KEYS, 'batch decision');
  readInput('batch decision', () => {
    if (!Array.isArray(members.requests)) return;
    members.requests = members.requests.map((entry: unknown, i: number) =>
      readMembers(entry, ['id', 'paramsHash'], `batch decision requests[${i}]`),
    );
  });
  const batch = parseInput(batchSchema, members, 'batch decision');
  const ids = batch.requests.map((entry) => entry.id);
  if (new Set(ids).size !== ids.length)
    throw new ValidationError('batch decision', ['requests: an id repeats']);
  const { store } = runtime;
  if (ids.length > 1 && !store.updateRequests) {
    throw new BatchRefusedError([
      `the ${store.name} store cannot write a batch atomically (no updateRequests); decide each request on its own`,
    ]);
  }
  const via = batch.via ?? 'api';
  const decision: CheckedDecision = {
    approver: batch.approver,
    outcome: batch.outcome,
    comment: batch.comment,
  };
  const batchId = newRequestId().replace(/^req_/, 'batch_');
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const loaded = await Promise.all(ids.map((id) => runtime.load(id)));
    const problems: string[] = [];
    const requests: ApprovalRequest[] = [];
    for (const [i, entry] of batch.requests.entries()) {
      try {
        const request = await checkDecidable(runtime, entry.id, loaded[i] ?? null, decision, via);
        if (request.action.paramsHash !== entry.paramsHash) {
          problems.push(`${entry.id}: its params are not the ones shown (params hash differs)`);
        }
        requests.push(request);
      } catch (error) {
        if (!isCountersignError(error)) throw error;
        problems.push(`${entry.id}: ${error.message.replace(/^\[countersign\] /, '')}`);
      }
    }
    if (problems.length > 0) throw new BatchRefusedError(problems);
    if (batch.justThisCall === true && batch.outcome === 'approve') {
      for (const request of requests)
        await runtime.options.features.keepToThisCall(runtime, request, batch.approver);
    }
    const detail = `batch ${batchId} of ${requests.length}`;
    const steps = requests.map((request) => ({
      request,
      ...decisionStep(runtime, request, decision, via, detail),
    }));
    const updates = steps.map(({ request, changes, drafts }) => ({
      next: nextOf(request, changes),
      audit: drafts,
    }));
    const saved = await write(runtime, updates);
    if (saved === null) continue;
    const results: DecisionResult[] = [];
    for (const [i, request] of saved.entries()) {
      await runtime.afterWrite(request, updates[i]!.audit);
      results.push({ request, approvals: steps[i]!.approvals, quorum: request.quorum });
    }
    return { batchId, results };
  }
  throw new BatchRefusedError(['the requests kept changing while the batch was being written; try again']);
}

/** The batch written in one atomic step; null when any request moved on first. */
async function write(
  runtime: Runtime,
  updates: { next: ApprovalRequest; audit: AuditDraft[] }[],
): Promise<ApprovalRequest[] | null> {
  const { store } = runtime;
  if (!store.updateRequests) {
    const only = updates[0]!;
    const raw = await runtime.call('updateRequest', () => store.updateRequest(only.next, only.audit));
    return raw === null ? null : [checkRequest(raw)];
  }
  const raw: unknown = await runtime.call('updateRequests', () => store.updateRequests!(updates));
  if (raw === null) return null;
  if (!Array.isArray(raw) || raw.length !== updates.length) {
    throw new CorruptRecordError('updateRequests result', ['must be null or one request per update']);
  }
  const saved = raw.map((record) => checkRequest(record));
  for (const [i, request] of saved.entries()) {
    const { id, version } = updates[i]!.next;
    if (request.id !== id || request.version !== version) {
      throw new CorruptRecordError('updateRequests result', [
        `entry ${i} is not request ${id} version ${version}`,
      ]);
    }
  }
  return saved;
}

function nextOf(current: ApprovalRequest, changes: Partial<ApprovalRequest>): ApprovalRequest {
  const next = { ...current, ...changes, version: current.version + 1 };
  if (next.status !== current.status && !canTransition(current.status, next.status)) {
    throw new Error(`illegal transition ${current.status} -> ${next.status}`);
  }
  return next;
}
