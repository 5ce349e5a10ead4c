/**
 * Runs the whole example with one command: migrates the schema, starts the approval server and
 * the agent as separate processes, and exits 0 once the agent's deploy ran after approval.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openStore, PG_URL, SCHEMA, say } from './shared.js';

const here = fileURLToPath(new URL('.', import.meta.url));

function launch(script: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@countersign/source', '--import', 'tsx', `${here}${script}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    },
  );
  createInterface({ input: child.stdout! }).on('line', (line) => process.stdout.write(`${line}\n`));
  return child;
}

function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

say('start', `PostgreSQL ${PG_URL.replace(/\/\/[^@]*@/, '//')}, schema "${SCHEMA}"`);
const store = openStore();
await store.migrate();
await store.close();
say('start', 'schema migrated; starting the approval server and the agent as two processes');

const approver = launch('approval-server.ts');
const agent = launch('agent.ts');
const timeout = setTimeout(() => {
  say('start', 'gave up after 60s');
  agent.kill();
}, 60_000);
const agentCode = await exitOf(agent);
clearTimeout(timeout);
approver.kill('SIGTERM');
await exitOf(approver);
say(
  'start',
  agentCode === 0
    ? 'done: the action ran only after a human approved it'
    : `failed (agent exit ${agentCode})`,
);
process.exitCode = agentCode;
