// The approval server and an agent over one PostgreSQL store: the agent waits, you approve in the browser.
import { createCountersign, type PolicyRule } from '@countersign/core';
import { createApprovalServer, createJsonLogger } from '@countersign/http';
import { createDevIssuer } from '@countersign/http/testing';
import { createPostgresStore } from '@countersign/postgres-store';

const PG_URL = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = process.env.COUNTERSIGN_SCHEMA ?? 'countersign_approval_example';
const PORT = Number(process.env.PORT ?? 8787);
/** Set by the example's test (and for a look without a browser): a clearly labelled simulated approver. */
const AUTO_APPROVE = process.env.EXAMPLE_AUTO_APPROVE === '1';

const directory = {
  'user:alice': { groups: ['analysts'] },
  'user:bob': { groups: ['data-owners'] },
  'user:carol': { groups: ['data-owners'] },
};
const policy: PolicyRule[] = [
  {
    id: 'exports-need-a-data-owner',
    match: { action: 'db.export', resource: 'prod/*' },
    effect: 'require_approval',
    approvers: { groups: ['data-owners'] },
    quorum: 1,
    requestTtl: '10m',
    risk: 'high',
  },
];

function say(who: string, text: string): void {
  process.stdout.write(`${who.padEnd(8)}| ${text}\n`);
}

// Development sign-in: a local token issuer stands in for your identity provider.
const issuer = await createDevIssuer();
const publicUrl = `http://127.0.0.1:${PORT}`;
const server = await createApprovalServer(
  {
    port: PORT,
    publicUrl,
    database: { url: PG_URL, schema: SCHEMA },
    policy,
    directory,
    oidc: {
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUrl: issuer.jwksUrl,
      identityPrefix: 'user:',
    },
    auditors: ['user:carol'],
    sweepSeconds: 30,
  },
  { logger: process.env.EXAMPLE_LOGS === '1' ? createJsonLogger() : createJsonLogger(() => {}) },
);
const url = await server.listen();
say('server', `approval server listening on ${url} (API, inbox at ${url}/inbox)`);

// The agent: its own countersign instance over the same store, as it would be in its own process.
const agentStore = createPostgresStore({ connectionString: PG_URL, schema: SCHEMA });
// No transports: the approval server above is where requests reach people, as intended.
const agent = createCountersign({ store: agentStore, policy, directory, logger: null });
agent.on('requested', async ({ request }) => {
  if (request === null) return;
  const link = `${publicUrl}/inbox/requests/${request.id}`;
  say('agent', `waiting for approval of ${request.action.name} on ${request.action.resource}`);
  say('agent', `approval page: ${link}`);
  if (AUTO_APPROVE) {
    const token = await issuer.token('bob', { expiresInSeconds: 60 });
    const response = await fetch(`${url}/requests/${request.id}/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'approve', comment: 'simulated approver (EXAMPLE_AUTO_APPROVE=1)' }),
    });
    say('bob', `[simulated] approved through the API: HTTP ${response.status}`);
  } else {
    // A development token for each approver; paste it on the sign-in page. Never do this in production.
    say('you', `open the page, sign in as bob with this development token, and press Approve:`);
    process.stdout.write(`\n${await issuer.token('bob')}\n\n`);
  }
});

let exitCode = 0;
try {
  const rows = await agent.guard(
    {
      name: 'db.export',
      resource: 'prod/customers',
      params: { table: 'customers', format: 'csv', apiKey: 'sk_live_do_not_show_me' },
      run: async () => 1284,
    },
    {
      actor: 'agent:report-bot',
      onBehalfOf: 'user:alice',
      sessionId: `sess_${Date.now()}`,
      reason: 'Alice asked for the Q3 churn report',
    },
  );
  say('agent', `resumed; exported ${rows} rows.`);
} catch (error) {
  say('agent', `did not run: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
}
const verified = await agent.audit.verify();
say('audit', verified.ok ? `verified: ${verified.entries} entries, hash chain intact.` : 'BROKEN');
await agent.close();
await server.close();
await issuer.close();
process.exitCode = exitCode;
