import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCountersign } from '@countersign/core';
import { createTestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { afterEach, expect, test } from 'vitest';
import { createTeamsTransport, VERB } from '../src/index.js';
import { createTeamsEmulator, type TeamsEmulator, teamsEmulatorOptions } from '../src/testing/index.js';
import { BOB, CONTEXT, DAN, listen, nextDelivered, POLICY, teamsId, USERS } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One "process": its own transport and countersign instance over a shared store. */
async function startProcess(teams: TeamsEmulator, store: ReturnType<typeof createMemoryStore>) {
  const clock = createTestClock(Date.now());
  const transport = createTeamsTransport({
    ...teamsEmulatorOptions(teams),
    logger: { warn() {}, error() {} },
  });
  const server = await listen(createServer(transport.nodeHandler));
  const cs = createCountersign({ store, transports: [transport], policy: POLICY, clock });
  cleanups.push(async () => {
    await cs.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
  });
  return { cs, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages` };
}

test('a process that did not post the card serves its clicks from the receipt in the shared store', async () => {
  const teams = createTeamsEmulator({ users: USERS });
  await teams.start();
  cleanups.push(() => teams.close());
  const store = createMemoryStore();
  const agent = await startProcess(teams, store);
  const server = await startProcess(teams, store);

  const delivered = nextDelivered(agent.cs);
  const result = agent.cs.guard(
    { name: 'db.export', resource: 'prod/customers', params: { table: 'customers' }, run: () => 'ran' },
    { ...CONTEXT, sessionId: 'sess_processes' },
  );
  result.catch(() => {});
  const request = await delivered;
  const activityId = request.deliveries[0]!.ref.activityId!;

  teams.setBotEndpoint(server.endpoint);
  const first = await teams.click({ user: BOB, activityId, verb: VERB.Approve });
  expect(first.problems).toEqual([]);
  expect(first.card).not.toBeNull();
  await teams.click({ user: DAN, activityId, verb: VERB.Approve });
  expect((await server.cs.getRequest(request.id))?.decisions.map((d) => d.approver)).toEqual([
    teamsId(BOB),
    teamsId(DAN),
  ]);
});
