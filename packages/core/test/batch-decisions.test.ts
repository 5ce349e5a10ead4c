import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { type Countersign, ErrorCode } from '../src/index.js';
import type { PolicyRule } from '../src/model/rule.js';
import { attempt, CONTEXT, overrideStore, setup } from './helpers.js';

const POLICY: PolicyRule[] = [
  {
    id: 'reads',
    match: { action: 'db.read' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
  },
  {
    id: 'deploys',
    match: { action: 'infra.deploy' },
    effect: 'require_approval',
    approvers: { users: ['user:dave'] },
  },
];

/** Starts `n` reads from one session and returns their guards and delivered requests. */
async function pendingReads(
  cs: Countersign,
  transport: { nextDelivery(): Promise<{ id: string; action: { paramsHash: string } }> },
  n: number,
) {
  const calls = [];
  const requests = [];
  for (let i = 0; i < n; i++) {
    calls.push(attempt(cs, { name: 'db.read', resource: 'prod/t', params: { table: `t${i}` } }));
    requests.push(await transport.nextDelivery());
  }
  return { calls, requests, entries: requests.map((r) => ({ id: r.id, paramsHash: r.action.paramsHash })) };
}

describe('decideBatch', () => {
  test('a batch with one request already decided is refused and nothing is applied', async () => {
    const { cs, transport } = setup({ policy: POLICY });
    const { calls, requests, entries } = await pendingReads(cs, transport, 3);
    await cs.decide(requests[1]!.id, { approver: 'user:carol', outcome: 'deny' });
    const refused = await cs
      .decideBatch({ approver: 'user:bob', outcome: 'approve', requests: entries })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: ErrorCode.BatchRefused });
    expect(refused.problems).toEqual([
      expect.stringContaining(`${requests[1]!.id}: request ${requests[1]!.id} is already denied`),
    ]);
    for (const i of [0, 2])
      expect(await cs.getRequest(requests[i]!.id)).toMatchObject({ status: 'pending', decisions: [] });
    expect((await cs.audit.entries()).filter((e) => e.approver === 'user:bob')).toEqual([]);
    expect(calls.every((call) => !call.ran())).toBe(true);
    await cs.close();
  });

  test('a batch including a request the approver may not decide is refused, the attempt audited', async () => {
    const { cs, transport } = setup({ policy: POLICY });
    const { requests, entries } = await pendingReads(cs, transport, 2);
    attempt(cs, { name: 'infra.deploy', params: { service: 'api' } });
    const deploy = await transport.nextDelivery();
    const batch = [...entries, { id: deploy.id, paramsHash: deploy.action.paramsHash }];
    const refused = await cs
      .decideBatch({ approver: 'user:bob', outcome: 'approve', requests: batch })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: ErrorCode.BatchRefused });
    expect(refused.problems).toEqual([expect.stringContaining('is not an eligible approver')]);
    for (const request of requests) expect((await cs.getRequest(request.id))?.decisions).toEqual([]);
    const refusals = (await cs.audit.entries()).filter((e) => e.type === 'refused');
    expect(refusals).toMatchObject([
      { requestId: deploy.id, approver: 'user:bob', detail: 'not an eligible approver' },
    ]);
    // Self-approval is refused the same way: the person the agent acts for cannot batch-approve it.
    const self = await cs
      .decideBatch({ approver: CONTEXT.onBehalfOf!, outcome: 'approve', requests: entries })
      .catch((e) => e);
    expect(self).toMatchObject({ code: ErrorCode.BatchRefused });
    await cs.close();
  });

  test('a request whose params hash is not the one shown refuses the batch', async () => {
    const { cs, transport } = setup({ policy: POLICY });
    const { requests, entries } = await pendingReads(cs, transport, 2);
    const wrong = [entries[0]!, { id: entries[1]!.id, paramsHash: entries[0]!.paramsHash }];
    const refused = await cs
      .decideBatch({ approver: 'user:bob', outcome: 'approve', requests: wrong })
      .catch((e) => e);
    expect(refused.problems).toEqual([expect.stringContaining('params hash differs')]);
    for (const request of requests) expect((await cs.getRequest(request.id))?.status).toBe('pending');
    await cs.close();
  });

  test('malformed batches are refused before anything is read', async () => {
    const { cs, transport } = setup({ policy: POLICY });
    const { entries } = await pendingReads(cs, transport, 1);
    const base = { approver: 'user:bob', outcome: 'approve' as const };
    await expect(cs.decideBatch({ ...base, requests: [] })).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
    });
    await expect(cs.decideBatch({ ...base, requests: [entries[0]!, entries[0]!] })).rejects.toThrow(
      'repeats',
    );
    await expect(
      cs.decideBatch({ ...base, requests: [{ ...entries[0]!, hash: 'x' } as never] }),
    ).rejects.toThrow('hash');
    await cs.close();
  });

  test('a batch is decided all at once, each request audited on its own, and each guard runs', async () => {
    const { cs, transport } = setup({ policy: POLICY });
    const { calls, requests, entries } = await pendingReads(cs, transport, 3);
    const result = await cs.decideBatch({
      approver: 'user:bob',
      outcome: 'approve',
      requests: entries,
      via: 'slack',
    });
    expect(result.results.map((r) => r.request.status)).toEqual(['approved', 'approved', 'approved']);
    for (const call of calls) expect(await call.outcome).toBe('ran');
    const entriesOf = (type: string) => (audit: { type: string; requestId: string | null }[]) =>
      audit.filter((e) => e.type === type).map((e) => e.requestId);
    const audit = await cs.audit.entries();
    // Each approval that met its quorum is one `approved` entry, carrying the batch and the vote.
    expect(entriesOf('decided')(audit)).toEqual([]);
    expect(entriesOf('approved')(audit)).toEqual(requests.map((r) => r.id));
    expect(entriesOf('granted')(audit)).toHaveLength(3);
    const decided = audit.filter((e) => e.type === 'approved');
    expect(new Set(decided.map((e) => e.detail))).toEqual(
      new Set([`batch ${result.batchId} of 3; 1 of 1 approvals`]),
    );
    expect(decided.every((e) => e.via === 'slack' && e.approver === 'user:bob')).toBe(true);
    expect((await cs.audit.verify()).ok).toBe(true);
    await cs.close();
  });

  test('a batch denial denies each request', async () => {
    const { cs, transport } = setup({ policy: POLICY });
    const { calls, entries } = await pendingReads(cs, transport, 2);
    await cs.decideBatch({
      approver: 'user:carol',
      outcome: 'deny',
      comment: 'not today',
      requests: entries,
    });
    for (const call of calls) expect(await call.outcome).toMatchObject({ code: ErrorCode.ApprovalDenied });
    await cs.close();
  });

  test('a store without updateRequests: one request at a time only', async () => {
    const store = overrideStore(createMemoryStore(), { updateRequests: undefined });
    const { cs, transport } = setup({ policy: POLICY, store });
    const { calls, entries } = await pendingReads(cs, transport, 2);
    const refused = await cs
      .decideBatch({ approver: 'user:bob', outcome: 'approve', requests: entries })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: ErrorCode.BatchRefused });
    expect(String(refused.message)).toContain('no updateRequests');
    await cs.decideBatch({ approver: 'user:bob', outcome: 'approve', requests: [entries[0]!] });
    expect(await calls[0]!.outcome).toBe('ran');
    expect(calls[1]!.ran()).toBe(false);
    await cs.close();
  });
});
