/**
 * The full loop: an agent asks to export customer data, the request appears as a card in a Teams
 * channel, two people approve it, the agent resumes, and the audit chain verifies.
 *
 * By default everything runs locally against the Teams emulator and two simulated clicks. With
 * TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID, TEAMS_SERVICE_URL, TEAMS_CONVERSATION_ID and
 * TEAMS_APPROVERS (comma-separated Entra object ids) set, it posts to your channel and waits for
 * real clicks on http://0.0.0.0:$PORT/api/messages (expose it over HTTPS as the bot's endpoint).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Countersign, createCountersign, isCountersignError } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import {
  createTeamsTransport,
  type TeamsTransport,
  type TeamsTransportOptions,
  VERB,
} from '@countersign/teams-transport';
import {
  createTeamsEmulator,
  DEFAULT_USERS,
  type TeamsEmulator,
  teamsEmulatorOptions,
} from '@countersign/teams-transport/testing';

interface Setup {
  transport: TeamsTransportOptions;
  approvers: string[];
  requester: string;
  port: number;
  emulator: TeamsEmulator | null;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function setup(): Promise<Setup> {
  const env = process.env;
  if (env.TEAMS_APP_ID && env.TEAMS_APP_PASSWORD && env.TEAMS_TENANT_ID && env.TEAMS_CONVERSATION_ID) {
    const approvers = (env.TEAMS_APPROVERS ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    if (approvers.length < 2) {
      throw new Error('set TEAMS_APPROVERS to two or more Entra object ids of people who may approve');
    }
    log(`Using tenant ${env.TEAMS_TENANT_ID}.`);
    return {
      transport: {
        appId: env.TEAMS_APP_ID,
        appPassword: env.TEAMS_APP_PASSWORD,
        tenantId: env.TEAMS_TENANT_ID,
        serviceUrl: env.TEAMS_SERVICE_URL ?? 'https://smba.trafficmanager.net/teams/',
        conversationId: env.TEAMS_CONVERSATION_ID,
      },
      approvers,
      requester: env.TEAMS_REQUESTER ?? '00000000-0000-0000-0000-000000000000',
      port: Number(env.PORT ?? 3978),
      emulator: null,
    };
  }
  const emulator = createTeamsEmulator();
  await emulator.start();
  log(`No TEAMS_APP_ID: using the local Teams emulator at ${emulator.url}.`);
  return {
    transport: teamsEmulatorOptions(emulator),
    approvers: [DEFAULT_USERS[1]!.aadObjectId, DEFAULT_USERS[2]!.aadObjectId],
    requester: DEFAULT_USERS[0]!.aadObjectId,
    port: 0,
    emulator,
  };
}

/**
 * Plays the two approvers: clicks Approve as each, once the card is in the channel. Each click is
 * logged as it is made: the last one decides, and the agent runs before Teams has its answer, so
 * the answers are logged once the caller awaits the returned function, after the agent is done.
 */
function simulateApprovers(
  cs: Countersign,
  emulator: TeamsEmulator,
  transport: TeamsTransport,
  users: string[],
): () => Promise<void> {
  let clicks: Promise<string> | null = null;
  cs.once('delivered', (event) => {
    const activityId = event.request?.deliveries.find((d) => d.transport === transport.name)?.ref.activityId;
    if (!activityId) return;
    clicks = (async () => {
      const answers: string[] = [];
      for (const user of users) {
        const name = emulator.users.find((u) => u.aadObjectId === user)?.name ?? user;
        log(`  ${name} clicks Approve`);
        const click = await emulator.click({ user, activityId, verb: VERB.Approve });
        answers.push(
          `${name} HTTP ${click.status} (${click.problems.length === 0 ? 'valid' : click.problems.join('; ')})`,
        );
      }
      return `  Teams answered the clicks: ${answers.join(', ')}`;
    })().catch((error: unknown) => `  simulated click failed: ${String(error)}`);
  });
  return async () => {
    if (clicks !== null) log(await clicks);
  };
}

async function main(): Promise<number> {
  const env = await setup();
  const identity = (aad: string) => `teams:${env.transport.tenantId}:${aad}`;
  const transport = createTeamsTransport(env.transport);
  const server: Server = createServer(transport.nodeHandler);
  await new Promise<void>((resolve) =>
    server.listen(env.port, env.emulator ? '127.0.0.1' : '0.0.0.0', resolve),
  );
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`;
  env.emulator?.setBotEndpoint(endpoint);
  log(
    `Bot endpoint on ${endpoint}${env.emulator ? '' : ' (make it the Azure Bot messaging endpoint over HTTPS)'}.`,
  );

  const cs = createCountersign({
    store: createMemoryStore(),
    transports: [transport],
    policy: [
      {
        id: 'customer-exports-need-two',
        match: { action: 'db.export', resource: 'prod/*' },
        effect: 'require_approval',
        approvers: { users: env.approvers.map(identity) },
        quorum: 2,
        requestTtl: '15m',
        risk: 'high',
      },
    ],
  });
  cs.on('transport_error', (event) =>
    log(`  (card update failed, decision unaffected: ${String(event.error)})`),
  );
  const clicksAnswered = env.emulator
    ? simulateApprovers(cs, env.emulator, transport, env.approvers)
    : () => Promise.resolve();

  let code = 0;
  try {
    log('Agent: asking to export prod/customers...');
    const rows = await cs.guard(
      {
        name: 'db.export',
        resource: 'prod/customers',
        params: {
          table: 'customers',
          format: 'csv',
          where: { churned: true },
          apiToken: 'sk_live_do_not_show_me',
        },
        run: (grant) => {
          log(`Agent: approved; running the export with grant ${grant.id}.`);
          return 1_284;
        },
      },
      {
        actor: 'agent:report-bot',
        onBehalfOf: identity(env.requester),
        reason: 'Alice asked for the Q3 churn report',
        sessionId: 'example-session',
      },
    );
    log(`Agent: resumed; exported ${rows} rows.`);
  } catch (error) {
    log(
      `Agent: not allowed: ${isCountersignError(error) ? `${error.code}: ${error.message}` : String(error)}`,
    );
    code = 1;
  }

  await clicksAnswered();
  // Clicks still being answered finish before the audit is read.
  await transport.close();
  const audit = await cs.audit.verify();
  const types = (await cs.audit.entries()).map((entry) => entry.type);
  log(`Audit: ${types.join(' -> ')}`);
  log(audit.ok ? `Audit verified: ${audit.entries} entries, hash chain intact.` : 'Audit FAILED to verify.');
  if (!audit.ok) code = 1;
  await cs.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  if (env.emulator) {
    const card = env.emulator.activities[0]?.activity as { summary?: string } | undefined;
    log(`Teams card after the decision: "${card?.summary ?? '(none)'}"`);
    await env.emulator.close();
  }
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
