/** The agent: asks to deploy to production and waits, in its own process, for a human's approval. */
import { createCountersign } from '@countersign/core';
import { openStore, policy, say } from './shared.js';

// No transports: the approval server process is where requests reach people, as intended.
const countersign = createCountersign({ store: openStore(), policy, logger: null });
const version = process.env.DEPLOY_VERSION ?? '1.4.2';
const sessionId = `sess_${process.pid}`;
const params = { service: 'api', version };

countersign.on('requested', ({ request }) =>
  say('agent', `asked for approval (${request?.id}); waiting for a human in another process...`),
);

say('agent', `wants to deploy api ${version} to prod/api`);
try {
  const result = await countersign.guard(
    {
      name: 'deploy',
      resource: 'prod/api',
      params,
      run: async (grant) => {
        say('agent', `approved: running the deploy with single-use grant ${grant.id}`);
        // The resource checks the grant itself, so a leaked or replayed token is refused.
        await countersign.grants.consume(grant.token, {
          name: 'deploy',
          resource: 'prod/api',
          params,
          sessionId,
        });
        say('agent', `the deploy target accepted the grant; api ${version} is live`);
        return 'deployed';
      },
    },
    {
      actor: 'agent:release-bot',
      reason: `ship api ${version}: fixes the checkout timeout`,
      sessionId,
      idempotencyKey: `deploy-api-${version}-${process.pid}`,
    },
  );
  const verified = await countersign.audit.verify();
  say(
    'agent',
    `guard returned "${result}"; audit chain ${verified.ok ? `verified (${verified.entries} entries)` : 'BROKEN'}`,
  );
  process.exitCode = verified.ok ? 0 : 1;
} catch (error) {
  say('agent', `did not deploy: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await countersign.close();
}
