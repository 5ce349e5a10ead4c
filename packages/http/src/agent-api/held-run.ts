// A claimed call: `guard()` runs it on this server, and its run lasts until the agent reports the outcome.
import type { Countersign, Grant } from '@countersign/core';
import type { ClaimedGrant } from './call.js';
import type { CallRegistry, HeldCall, ReportedOutcome } from './call-registry.js';

/** Recorded as the failure's text: `reported by the agent: exit status 3`. */
class ReportedFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'reported by the agent';
  }
}

const NO_OUTCOME = 'no outcome reported before the grant expired';
const STOPPED = 'the approval server stopped before the outcome was reported';

/**
 * Claims `call` through `cs.guard()`, so the claim is core's compare-and-set, the grant and its
 * credentials are core's, and the outcome is recorded and the grant revoked in core's `finally`.
 * Resolves with the grant once issued, or rejects with why not (nothing issued then).
 */
export function claimHeldCall(
  cs: Countersign,
  registry: CallRegistry,
  call: HeldCall,
  now: () => number,
): Promise<ClaimedGrant> {
  registry.update(call, 'claiming', now());
  return new Promise<ClaimedGrant>((granted, refused) => {
    let issued = false;
    const run = (grant: Grant) =>
      new Promise<void>((executed, failed) => {
        issued = true;
        let ended = false;
        call.settle = (outcome: ReportedOutcome) => {
          if (ended) return;
          ended = true;
          call.settle = null;
          if (outcome.status === 'executed') executed();
          else failed(new ReportedFailure(outcome.detail ?? 'failed'));
        };
        // Expiry aborts the grant's signal: a call whose agent went quiet ends as a failure here,
        // as the sweepers end one whose server stopped.
        grant.signal.addEventListener(
          'abort',
          () => call.settle?.({ status: 'failed', detail: NO_OUTCOME }),
          {
            once: true,
          },
        );
        call.expiresAt = grant.expiresAt;
        registry.update(call, 'running', now());
        granted({
          id: grant.id,
          token: grant.token,
          expiresAt: grant.expiresAt,
          credentials: grant.credentials === null ? null : { ...grant.credentials },
        });
      });
    call.finished = cs
      .guard(
        {
          name: call.action.name,
          resource: call.action.resource,
          params: call.action.params,
          risk: call.action.risk,
          run,
        },
        {
          actor: call.actor,
          sessionId: call.sessionId,
          reason: call.reason,
          onBehalfOf: call.onBehalfOf,
          requestId: call.requestId,
          // A claim never waits: a call not yet approved is refused at once.
          wait: false,
        },
      )
      .then(
        () => {
          registry.update(call, 'executed', now());
          return null;
        },
        (error: unknown) => {
          if (!issued) {
            call.finished = null;
            registry.update(call, 'open', now());
            refused(error);
            return error;
          }
          registry.update(call, 'failed', now());
          // The agent's own failure is recorded as such; anything else (the store) is the route's to report.
          return error instanceof ReportedFailure ? null : error;
        },
      );
  });
}

/** Ends every running call as failed, e.g. when the server stops; waits for the outcomes to be recorded. */
export async function endRunningCalls(registry: CallRegistry): Promise<void> {
  const running = registry.running();
  for (const call of running) call.settle?.({ status: 'failed', detail: STOPPED });
  await Promise.allSettled(running.map((call) => call.finished));
}
