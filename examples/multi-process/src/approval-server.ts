/**
 * The approval server: a separate process that sees pending requests in PostgreSQL and records
 * a human's decision. Here "bob" approves after a short look; in production a transport (Slack,
 * a web page) would carry the click.
 */
import { createCountersign } from '@countersign/core';
import { openStore, policy, say } from './shared.js';

const store = openStore();
const countersign = createCountersign({ store, policy });
const handled = new Set<string>();
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

async function review(): Promise<void> {
  for (const request of await store.listRequests({ status: 'pending', limit: 50 })) {
    if (handled.has(request.id)) continue;
    handled.add(request.id);
    say(
      'approver',
      `new request ${request.id}: ${request.actor} wants ${request.action.name} on ${request.action.resource}`,
    );
    say('approver', `  reason (unverified): "${request.reason}", risk ${request.risk}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Said before deciding: the agent resumes as soon as the decision is stored, maybe before we print.
    say('approver', 'bob approves');
    const { request: decided } = await countersign.decide(request.id, {
      approver: 'user:bob',
      outcome: 'approve',
      comment: 'looks good',
      via: 'example',
    });
    say('approver', `request is now ${decided.status}`);
  }
}

// Notifications wake us at once; the interval is the safety net for a lost one.
const unsubscribe = await store.subscribe?.(() => void review().catch(report));
say('approver', 'listening for approval requests');
while (!stopping) {
  await review().catch(report);
  await new Promise((resolve) => setTimeout(resolve, 250));
}
await unsubscribe?.();
await countersign.close();

function report(error: unknown): void {
  say('approver', `error: ${error instanceof Error ? error.message : String(error)}`);
}
