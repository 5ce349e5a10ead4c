/**
 * A worker process for case 6, an agent: guards `jobs` exports one after another against a shared
 * schema and reports, as JSON lines, each request and the moment each action starts to run (on
 * CLOCK_MONOTONIC, which the approver process reads too), with this process's CPU time so far.
 */
import { createCountersign } from '@countersign/core';
import { CONTEXT, DIRECTORY, EXPORT, POLICY } from './fixtures.js';
import { cpuUs, loadStore, named, now } from './pg/load-store.js';

interface Config {
  url: string;
  schema: string;
  appName: string;
  notifications: boolean;
  pollInterval: string;
  jobs: number;
  worker: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
// Sealing lag of this process's own writes, per write, reported when it is done.
const sealLags: number[] = [];
const { createPostgresStore } = await loadStore();
const store = createPostgresStore({
  connectionString: named(config.url, config.appName),
  schema: config.schema,
  notifications: config.notifications,
  onSeal: (event) => sealLags.push(...event.waitedMs),
});
const cs = createCountersign({
  store,
  policy: POLICY,
  directory: DIRECTORY,
  pollInterval: config.pollInterval as '1s',
});
cs.on('requested', (event) => report({ event: 'requested', id: event.request?.id }));
report({ event: 'ready' });
for (let i = 0; i < config.jobs; i++) {
  const params = { ...EXPORT.params, worker: config.worker, job: i };
  await cs.guard(
    {
      ...EXPORT,
      params,
      run: async (grant) => {
        report({ event: 'ran', id: grant.requestId, at: now(), cpu: cpuUs() });
        await cs.grants.consume(grant.token, { ...EXPORT, params, sessionId: CONTEXT.sessionId });
      },
    },
    CONTEXT,
  );
  report({ event: 'finished', cpu: cpuUs() });
}
await cs.close();
report({ event: 'sealed', waitedMs: sealLags });
report({ event: 'done', cpu: cpuUs() });
