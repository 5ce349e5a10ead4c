/**
 * The approval round-trip floor (#26): the least an approval with core's guarantees does, written
 * from scratch, to show beside `guard()` and `decide()` in the same run. The guard checks,
 * fingerprints and redacts the call, opens a pending request under the first matching rule with
 * its eligible approvers and quorum (`requested`), hands it to a transport (`delivered`) and waits.
 * `decide()` refuses a non-approver, the actor, the person it acts for and a second vote, counts
 * the quorum, settles the request (`approved`) and wakes the guard, which claims the approval as
 * a compare-and-set (approved, unclaimed, same call and session), issues a single-use grant
 * (`granted`), runs the action and revokes in `finally` (`executed` naming the grant's entry).
 */
import { type GuardContext, scrubText } from '@countersign/core';
import {
  type FloorAction,
  type FloorCall,
  FloorChain,
  FloorGrants,
  type FloorRule,
  firstRule,
  newId,
  prepareCall,
  text,
} from './floor-parts.js';

interface FloorRequest {
  id: string;
  call: FloorCall;
  ruleId: string;
  status: 'pending' | 'approved' | 'denied' | 'claimed';
  approvers: readonly string[];
  /** JSON-quoted actor and on-behalf-of ids, as `call` has them, to refuse self-approval. */
  selves: readonly string[];
  quorum: number;
  approvals: string[];
  expiresAt: number;
  grantId: string | null;
  wake: (() => void) | null;
}

export class RoundTripFloor {
  readonly chain: FloorChain;
  readonly #grants = new FloorGrants();
  readonly #requests = new Map<string, FloorRequest>();

  constructor(
    private readonly rules: readonly FloorRule[],
    /** The transport: gets each request id once it is open. */
    private readonly deliver: (requestId: string) => void,
    private readonly options = { requestTtlMs: 15 * 60_000, grantTtlMs: 60_000, keep: 100_000 },
  ) {
    this.chain = new FloorChain(options.keep);
  }

  get lines(): string[] {
    return this.chain.lines;
  }

  async guard(action: FloorAction, context: GuardContext): Promise<unknown> {
    const call = prepareCall(action, context);
    const rule = firstRule(this.rules, call.name);
    if (rule === undefined || rule.effect !== 'require_approval')
      throw new Error(`no approval rule: ${call.name}`);
    const approvers = rule.approvers ?? [];
    const quorum = rule.quorum ?? 1;
    const selves = [JSON.parse(call.actor) as string, JSON.parse(call.onBehalfOf) as string];
    const eligible = approvers.filter((a) => !selves.includes(a));
    if (eligible.length < quorum) throw new Error('not enough eligible approvers');
    const now = Date.now();
    const request: FloorRequest = {
      id: newId('req_'),
      call,
      ruleId: rule.id,
      status: 'pending',
      approvers: eligible,
      selves,
      quorum,
      approvals: [],
      expiresAt: now + this.options.requestTtlMs,
      grantId: null,
      wake: null,
    };
    this.#requests.set(request.id, request);
    const base = { call, requestId: request.id, ruleId: rule.id, withAction: true };
    this.chain.seal({
      ...base,
      type: 'requested',
      at: now,
      grantId: null,
      detail: `needs ${quorum} of ${eligible.length} eligible approvers; expires at ${request.expiresAt}`,
    });
    const decided = new Promise<void>((resolve) => {
      request.wake = resolve;
    });
    this.deliver(request.id);
    this.chain.seal({ ...base, type: 'delivered', at: Date.now(), grantId: null, via: 'recording' });
    await decided;
    try {
      // The claim: a compare-and-set on the request this process holds.
      if (request.status !== 'approved' || request.grantId !== null || Date.now() >= request.expiresAt) {
        throw new Error(`request ${request.status}`);
      }
      const grantId = newId('grt_');
      request.status = 'claimed';
      request.grantId = grantId;
      const grant = this.#grants.issue(call, this.options.grantTtlMs);
      const issued = this.chain.seal({
        ...base,
        type: 'granted',
        at: Date.now(),
        grantId,
        detail: `grant expires at ${grant.expiresAt}`,
      });
      let failed: unknown = null;
      try {
        return await action.run({ token: grant.token, consume: (p) => this.#grants.consume(grant.token, p) });
      } catch (error) {
        failed = error;
        throw error;
      } finally {
        const consumedAt = this.#grants.revoke(grant.tokenHash);
        this.chain.seal({
          ...base,
          withAction: false,
          type: failed === null ? 'executed' : 'failed',
          at: Date.now(),
          grantId,
          consumedAt,
          detail: failed === null ? null : scrubText(String(failed)),
          grantEntry: issued,
        });
      }
    } finally {
      this.#requests.delete(request.id);
    }
  }

  /** One approver's vote: eligible, not the actor or the person it acts for, once; settles at the quorum. */
  async decide(requestId: string, approver: string, via: string): Promise<void> {
    const who = text(approver, 'approver');
    const request = this.#requests.get(requestId);
    if (request === undefined) throw new Error('unknown request');
    if (request.status !== 'pending' || Date.now() >= request.expiresAt)
      throw new Error('already decided or expired');
    if (request.selves.includes(who)) throw new Error('self-approval');
    if (!request.approvers.includes(who)) throw new Error('not an eligible approver');
    if (request.approvals.includes(who)) throw new Error('already voted');
    request.approvals.push(who);
    const settled = request.approvals.length >= request.quorum;
    if (settled) request.status = 'approved';
    this.chain.seal({
      call: request.call,
      withAction: true,
      type: settled ? 'approved' : 'decided',
      at: Date.now(),
      requestId,
      grantId: null,
      ruleId: request.ruleId,
      approver: who,
      outcome: 'approve',
      via,
      detail: `${request.approvals.length} of ${request.quorum} approvals`,
    });
    if (settled) request.wake?.();
  }
}
