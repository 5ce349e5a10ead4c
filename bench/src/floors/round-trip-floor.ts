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
import type { GuardContext } from '@countersign/core';
import {
  type FloorAction,
  type FloorCall,
  FloorChain,
  FloorGrants,
  type FloorRule,
  firstRule,
  newId,
  prepareCall,
  runWithGrant,
  text,
} from './floor-parts.js';

/** A request while it is pending: what the guard holds, and the `requested` entry's detail. */
class FloorRequest {
  status: 'pending' | 'approved' | 'claimed' = 'pending';
  approvals: string[] | null = null;
  /** The guard's promise, settled once the approved call has run (or failed). */
  resolve: (value: unknown) => void = DISCARD;
  reject: (error: unknown) => void = DISCARD;

  constructor(
    readonly id: string,
    readonly call: FloorCall,
    readonly rule: FloorRule,
    /** The rule's approvers without the actor and the person it acts for (the rule's own list when neither is in it). */
    readonly approvers: readonly string[],
    readonly expiresAt: number,
    readonly action: FloorAction,
  ) {}

  /** Rendered when the `requested` entry is written or exported: no string kept while pending. */
  describe(): string {
    return `needs ${this.rule.quorum ?? 1} of ${this.approvers.length} eligible approvers; expires at ${this.expiresAt}`;
  }
}

const DISCARD = () => {};

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

  /**
   * Opens and delivers the request; while it is pending, only the request and the promise it
   * settles are held (no suspended async frame), then the claim and the run continue.
   */
  guard(action: FloorAction, context: GuardContext): Promise<unknown> {
    const call = prepareCall(action, context);
    const rule = firstRule(this.rules, call.name);
    if (rule === undefined || rule.effect !== 'require_approval') {
      return Promise.reject(new Error(`no approval rule: ${call.name}`));
    }
    const listed = rule.approvers ?? [];
    const approvers = listed.some((a) => a === call.actor || a === call.onBehalfOf)
      ? listed.filter((a) => a !== call.actor && a !== call.onBehalfOf)
      : listed;
    const quorum = rule.quorum ?? 1;
    if (approvers.length < quorum) return Promise.reject(new Error('not enough eligible approvers'));
    const now = Date.now();
    const request = new FloorRequest(
      newId('req_'),
      call,
      rule,
      approvers,
      now + this.options.requestTtlMs,
      action,
    );
    const outcome = new Promise<unknown>((resolve, reject) => {
      request.resolve = resolve;
      request.reject = reject;
    });
    this.#requests.set(request.id, request);
    this.chain.seal({
      type: 'requested',
      call,
      withAction: true,
      at: now,
      requestId: request.id,
      grantId: null,
      ruleId: rule.id,
      detail: request,
    });
    this.deliver(request.id);
    this.chain.seal({
      type: 'delivered',
      call,
      withAction: true,
      at: Date.now(),
      requestId: request.id,
      grantId: null,
      ruleId: rule.id,
      via: 'recording',
    });
    return outcome;
  }

  async #claimAndRun(request: FloorRequest): Promise<unknown> {
    const { action } = request;
    const { call } = request;
    try {
      // The claim: a compare-and-set on the request this process holds.
      if (request.status !== 'approved' || Date.now() >= request.expiresAt)
        throw new Error(`request ${request.status}`);
      request.status = 'claimed';
      return await runWithGrant(this.chain, this.#grants, action, {
        type: 'granted',
        call,
        requestId: request.id,
        ruleId: request.rule.id,
        ttlMs: this.options.grantTtlMs,
      });
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
    if (who === request.call.actor || who === request.call.onBehalfOf) throw new Error('self-approval');
    if (!request.approvers.includes(who)) throw new Error('not an eligible approver');
    if (request.approvals?.includes(who)) throw new Error('already voted');
    request.approvals = [...(request.approvals ?? []), who];
    const quorum = request.rule.quorum ?? 1;
    const settled = request.approvals.length >= quorum;
    if (settled) request.status = 'approved';
    this.chain.seal({
      call: request.call,
      withAction: true,
      type: settled ? 'approved' : 'decided',
      at: Date.now(),
      requestId,
      grantId: null,
      ruleId: request.rule.id,
      approver: who,
      outcome: 'approve',
      via,
      detail: `${request.approvals.length} of ${quorum} approvals`,
    });
    if (settled) this.#claimAndRun(request).then(request.resolve, request.reject);
  }
}
