/**
 * The approval server for case 6, a process of its own: approves each request id it reads on
 * stdin and reports when: `sent`, just before the decision's committing statement left for the
 * server, and `at`, once decide() returned (both on CLOCK_MONOTONIC), with its CPU time so far.
 */
import { createInterface } from 'node:readline';
import { createCountersign } from '@countersign/core';
import { DIRECTORY, POLICY } from './fixtures.js';
import { cpuUs, loadPg, loadStore, named, now } from './pg/load-store.js';

interface Config {
  url: string;
  schema: string;
  appName: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
// The moment each write statement is handed to the driver: decide()'s last one is its commit.
let lastWriteSent = '0';
const proto = loadPg().Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const query = proto.query;
proto.query = function (this: unknown, ...args: unknown[]) {
  const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | null)?.text;
  if (text?.startsWith('WITH changed AS (UPDATE')) lastWriteSent = now();
  return query.apply(this, args);
};
const { createPostgresStore } = await loadStore();
const store = createPostgresStore({
  connectionString: named(config.url, config.appName),
  schema: config.schema,
});
const cs = createCountersign({ store, policy: POLICY, directory: DIRECTORY });
report({ event: 'ready' });
let open = 0;
let ended = false;
const finish = async () => {
  await cs.close();
  report({ event: 'done', cpu: cpuUs() });
};
createInterface({ input: process.stdin })
  .on('line', (id) => {
    open += 1;
    cs.decide(id, { approver: 'user:bob', outcome: 'approve', via: 'bench' })
      .then(
        () => report({ event: 'decided', id, sent: lastWriteSent, at: now(), cpu: cpuUs() }),
        (error: unknown) => report({ event: 'failed', id, error: String(error) }),
      )
      .finally(() => {
        open -= 1;
        if (ended && open === 0) void finish();
      });
  })
  .on('close', () => {
    ended = true;
    if (open === 0) void finish();
  });
