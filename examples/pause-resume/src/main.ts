/**
 * An approval that outlives the call: an agent step asks to export customer data, gets
 * `approval_pending`, saves a checkpoint and ends; two people approve in Slack; the next step
 * resumes from the checkpoint and the export runs once; a replayed step is told it already ran;
 * the audit chain verifies.
 *
 * It runs in one process over the memory store, against the local Slack emulator, so it needs
 * nothing installed: each step keeps nothing in memory but reads the checkpoint file, as a step
 * in a fresh process would. With `@countersign/postgres-store` as the store, the steps can be
 * separate processes (packages/postgres-store/test/pause-resume.test.ts runs them that way).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApprovalPendingError,
  type Countersign,
  createCountersign,
  describeOutcome,
  isCountersignError,
} from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { ACTION, createSlackTransport } from '@countersign/slack-transport';
import { createSlackEmulator, DEFAULT_USERS } from '@countersign/slack-transport/testing';

/** What a step leaves for the next one: what a framework's serialised run state would hold. */
interface Checkpoint {
  sessionId: string;
  idempotencyKey: string;
  requestId: string;
}

/** What each step is given: the app's countersign, where checkpoints go, whom the agent acts for. */
interface Agent {
  cs: Countersign;
  checkpointFile: string;
  onBehalfOf: string;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * One agent step. Without a checkpoint it asks; with one it resumes. It never waits for a person:
 * `wait: false` makes a pending request an `ApprovalPendingError` instead of a blocked call.
 */
async function agentStep(agent: Agent, step: string): Promise<number | null> {
  const { cs, checkpointFile } = agent;
  const saved = readCheckpoint(checkpointFile);
  // A framework's thread or run id, and its tool-call id: the same on every resume.
  const sessionId = saved?.sessionId ?? 'thread_q3_churn';
  const idempotencyKey = saved?.idempotencyKey ?? 'call_export_0';
  log(`${step}: ${saved ? `resuming request ${saved.requestId}` : 'asking to export prod/customers'}...`);
  try {
    const rows = await cs.guard(
      {
        name: 'db.export',
        resource: 'prod/customers',
        params: { table: 'customers', format: 'csv', where: { churned: true } },
        run: (grant) => {
          log(`${step}: approved; running the export with grant ${grant.id}.`);
          return 1_284;
        },
      },
      {
        actor: 'agent:report-bot',
        onBehalfOf: agent.onBehalfOf,
        reason: 'Alice asked for the Q3 churn report',
        sessionId,
        idempotencyKey,
        wait: false,
      },
    );
    log(`${step}: exported ${rows} rows.`);
    return rows;
  } catch (error) {
    const told = describeOutcome(error);
    if (error instanceof ApprovalPendingError) {
      const checkpoint: Checkpoint = { sessionId, idempotencyKey, requestId: error.requestId };
      writeFileSync(checkpointFile, JSON.stringify(checkpoint));
      log(
        `${step}: paused; request ${error.requestId} waits until ${new Date(error.expiresAt).toISOString()}.`,
      );
      log(`${step}: saved ${JSON.stringify(checkpoint)} and ended.`);
    } else {
      log(`${step}: ${isCountersignError(error) ? error.code : String(error)}.`);
    }
    log(`  The model is told (final: ${told.final}): "${told.text}"`);
    return null;
  }
}

function readCheckpoint(file: string): Checkpoint | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const emulator = createSlackEmulator({
    users: [...DEFAULT_USERS, { id: 'U0DAN', name: 'dan', realName: 'Dan Data', email: 'dan@example.com' }],
  });
  await emulator.start();
  const transport = createSlackTransport({
    token: emulator.token,
    signingSecret: emulator.signingSecret,
    channel: 'C0APPROVALS',
    teamId: emulator.team.id,
    slackApiUrl: emulator.apiUrl,
  });
  const server = createServer(transport.nodeHandler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  emulator.setInteractionUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/interactions`);
  log(`Using the local Slack emulator at ${emulator.url}.`);

  const identity = (user: string) => `slack:${emulator.team.id}:${user}`;
  const cs = createCountersign({
    store: createMemoryStore(),
    transports: [transport],
    policy: [
      {
        id: 'customer-exports-need-two',
        match: { action: 'db.export', resource: 'prod/*' },
        effect: 'require_approval',
        approvers: { users: ['U0BOB', 'U0DAN'].map(identity) },
        quorum: 2,
        requestTtl: '1h',
        risk: 'high',
      },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'countersign-pause-resume-'));
  const checkpointFile = join(dir, 'checkpoint.json');
  const agent: Agent = { cs, checkpointFile, onBehalfOf: identity('U0ALICE') };

  let code = 0;
  try {
    if ((await agentStep(agent, 'Step 1')) !== null) throw new Error('step 1 ran without approval');
    const { requestId } = readCheckpoint(checkpointFile) ?? { requestId: '' };

    // The agent is gone. People decide in Slack whenever they get to it.
    const request = await cs.getRequest(requestId);
    const ref = request?.deliveries.find((d) => d.transport === transport.name)?.ref;
    if (!ref?.channel || !ref.ts) throw new Error('the request was not posted to Slack');
    for (const user of ['U0BOB', 'U0DAN']) {
      const click = await emulator.click({
        user,
        channel: ref.channel,
        ts: ref.ts,
        actionId: ACTION.Approve,
      });
      log(`Approver: ${user} clicked Approve in Slack (HTTP ${click.status}).`);
      await transport.idle();
    }
    // What a scheduler or UI does to know when to run the next step; it runs nothing itself.
    const decided = await cs.waitForDecision(requestId);
    log(`Approver: the request is ${decided.status}.`);

    if ((await agentStep(agent, 'Step 2')) === null) code = 1;
    // A queue that delivers the step twice: the approval is used up, nothing runs again.
    if ((await agentStep(agent, 'Step 2, replayed')) !== null) code = 1;
  } finally {
    await transport.idle();
    const audit = await cs.audit.verify();
    log(`Audit: ${(await cs.audit.entries()).map((entry) => entry.type).join(' -> ')}`);
    log(
      audit.ok ? `Audit verified: ${audit.entries} entries, hash chain intact.` : 'Audit FAILED to verify.',
    );
    if (!audit.ok) code = 1;
    log(`Slack message now: "${emulator.messages[0]?.message.text ?? '(none)'}"`);
    await cs.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
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
