/**
 * The full loop: an agent asks to export customer data, the request appears in Slack, two people
 * approve it, the agent resumes, and the audit chain verifies.
 *
 * By default everything runs locally against the Slack emulator and two simulated clicks. With
 * SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL and SLACK_APPROVERS (comma-separated user
 * ids) set, it posts to your workspace and waits for real clicks on http://0.0.0.0:$PORT.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Countersign, createCountersign, isCountersignError } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { ACTION, createSlackTransport, type SlackTransport } from '@countersign/slack-transport';
import { createSlackEmulator, DEFAULT_USERS, type SlackEmulator } from '@countersign/slack-transport/testing';
import { WebClient } from '@slack/web-api';

interface Workspace {
  token: string;
  signingSecret: string;
  channel: string;
  teamId: string;
  slackApiUrl?: string;
  approvers: string[];
  requester: string;
  port: number;
  emulator: SlackEmulator | null;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function workspace(): Promise<Workspace> {
  const { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL, SLACK_APPROVERS, SLACK_REQUESTER } =
    process.env;
  if (SLACK_BOT_TOKEN && SLACK_SIGNING_SECRET && SLACK_CHANNEL) {
    const approvers = (SLACK_APPROVERS ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    if (approvers.length < 2) {
      throw new Error(
        'set SLACK_APPROVERS to two or more Slack user ids (e.g. U012AB3CD,U045EF6GH) who may approve',
      );
    }
    const auth = await new WebClient(SLACK_BOT_TOKEN).auth.test();
    if (!auth.team_id) throw new Error('auth.test returned no team_id; check SLACK_BOT_TOKEN');
    log(`Using workspace ${auth.team ?? auth.team_id} as ${auth.user ?? 'the bot'}.`);
    return {
      token: SLACK_BOT_TOKEN,
      signingSecret: SLACK_SIGNING_SECRET,
      channel: SLACK_CHANNEL,
      teamId: auth.team_id,
      approvers,
      requester: SLACK_REQUESTER ?? 'UNOBODY',
      port: Number(process.env.PORT ?? 3000),
      emulator: null,
    };
  }
  const emulator = createSlackEmulator({
    users: [...DEFAULT_USERS, { id: 'U0DAN', name: 'dan', realName: 'Dan Data', email: 'dan@example.com' }],
  });
  await emulator.start();
  log(`No SLACK_BOT_TOKEN: using the local Slack emulator at ${emulator.url}.`);
  return {
    token: emulator.token,
    signingSecret: emulator.signingSecret,
    channel: 'C0APPROVALS',
    teamId: emulator.team.id,
    slackApiUrl: emulator.apiUrl,
    approvers: ['U0BOB', 'U0DAN'],
    requester: 'U0ALICE',
    port: 0,
    emulator,
  };
}

/** Plays the two approvers: clicks Approve as each, once the request is in the channel. */
function simulateApprovers(
  cs: Countersign,
  emulator: SlackEmulator,
  transport: SlackTransport,
  users: string[],
) {
  cs.once('delivered', (event) => {
    const ref = event.request?.deliveries.find((d) => d.transport === transport.name)?.ref;
    if (!ref?.channel || !ref.ts) return;
    const { channel, ts } = ref;
    void (async () => {
      for (const user of users) {
        const click = await emulator.click({ user, channel, ts, actionId: ACTION.Approve });
        log(
          `  ${user} clicked Approve (Slack got HTTP ${click.status} in ${Math.round(click.elapsedMs)} ms)`,
        );
        await transport.idle();
      }
    })().catch((error: unknown) => log(`  simulated click failed: ${String(error)}`));
  });
}

async function main(): Promise<number> {
  const ws = await workspace();
  const identity = (user: string) => `slack:${ws.teamId}:${user}`;
  const transport = createSlackTransport({
    token: ws.token,
    signingSecret: ws.signingSecret,
    channel: ws.channel,
    teamId: ws.teamId,
    slackApiUrl: ws.slackApiUrl,
  });
  const server: Server = createServer(transport.nodeHandler);
  await new Promise<void>((resolve) =>
    server.listen(ws.port, ws.emulator ? '127.0.0.1' : '0.0.0.0', resolve),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/interactions`;
  ws.emulator?.setInteractionUrl(url);
  log(
    `Serving Slack interactions on ${url}${ws.emulator ? '' : " (point your app's Interactivity Request URL here)"}.`,
  );

  const cs = createCountersign({
    store: createMemoryStore(),
    transports: [transport],
    policy: [
      {
        id: 'customer-exports-need-two',
        match: { action: 'db.export', resource: 'prod/*' },
        effect: 'require_approval',
        approvers: { users: ws.approvers.map(identity) },
        quorum: 2,
        requestTtl: '15m',
        risk: 'high',
      },
    ],
  });
  cs.on('transport_error', (event) =>
    log(`  (Slack update failed, decision unaffected: ${String(event.error)})`),
  );
  if (ws.emulator) simulateApprovers(cs, ws.emulator, transport, ws.approvers);

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
        onBehalfOf: identity(ws.requester),
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

  await transport.idle();
  const audit = await cs.audit.verify();
  const types = (await cs.audit.entries()).map((entry) => entry.type);
  log(`Audit: ${types.join(' -> ')}`);
  log(audit.ok ? `Audit verified: ${audit.entries} entries, hash chain intact.` : 'Audit FAILED to verify.');
  if (!audit.ok) code = 1;
  if (ws.emulator) {
    const message = ws.emulator.messages[0];
    log(`Slack message after the decision: "${message?.message.text ?? '(none)'}"`);
  }

  await cs.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await ws.emulator?.close();
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
