/**
 * Runs the whole example with one command: empties and migrates the schema, starts the approval
 * server and the agent as separate processes, and exits 0 once the agent's deploy ran after approval.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
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

/**
 * Drops the example's schema, so that every run starts empty: a pending request left by an earlier,
 * interrupted run would otherwise be approved and counted again. A schema holding anything but a
 * countersign store is left alone.
 */
async function emptySchema(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    [SCHEMA],
  );
  if (rows.length === 0 && SCHEMA !== 'public') {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(SCHEMA)}`);
    return;
  }
  if (SCHEMA === 'public' || !rows.some((row) => row.name === 'migrations')) {
    throw new Error(
      `schema "${SCHEMA}" holds tables that are not a countersign store (${rows.map((row) => row.name).join(', ')}); ` +
        'this example empties its schema on every run: set COUNTERSIGN_SCHEMA to a schema of its own',
    );
  }
  await client.query(`DROP SCHEMA ${pg.escapeIdentifier(SCHEMA)} CASCADE`);
}

const shownUrl = PG_URL.replace(/\/\/[^@]*@/, '//');
say('start', `PostgreSQL ${shownUrl}, schema "${SCHEMA}"`);
const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
client.on('error', () => {});
try {
  await client.connect();
} catch (error) {
  const why =
    (error instanceof Error && error.message) || String((error as { code?: unknown }).code ?? error);
  say(
    'start',
    `cannot connect to PostgreSQL at ${shownUrl} (${why}). Start PostgreSQL there, with trust auth and a database "test", or set COUNTERSIGN_PG_URL.`,
  );
  process.exit(1);
}
try {
  await emptySchema(client);
} catch (error) {
  say('start', `${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
} finally {
  await client.end();
}
const store = openStore();
await store.migrate();
await store.close();
say('start', 'schema emptied and migrated; starting the approval server and the agent as two processes');

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
