// countersign exec guards a psql command: approved in Slack (the bundled emulator), run as a
// PostgreSQL role minted for that one command and dropped when it ends.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type AuditEntry, createCountersign, type PolicyRule } from '@countersign/core';
import { createPostgresRoleBroker } from '@countersign/credentials';
import { createDecisionApi, listen, SLACK_INTERACTIONS_PATH } from '@countersign/http';
import { createDevIssuer } from '@countersign/http/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { ACTION, createSlackTransport } from '@countersign/slack-transport';
import { createSlackEmulator } from '@countersign/slack-transport/testing';
import pg from 'pg';

const PG_URL = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLI = join(
  dirname(createRequire(import.meta.url).resolve('@countersign/cli/package.json')),
  'src/bin.ts',
);
const say = (text = '') => process.stdout.write(`${text}\n`);
function expect(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`unexpected: ${what}`);
}

/** Runs `countersign exec` as a shell or a CI job would, printing what it and psql say, indented. */
function countersignExec(
  args: string[],
  env: Record<string, string>,
  onLine: (line: string) => void,
): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@countersign/source', '--import', import.meta.resolve('tsx'), CLI, 'exec', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const relay = (stream: NodeJS.ReadableStream, prefix: string) => {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        say(`   ${prefix} ${line}`);
        onLine(line);
      }
    });
  };
  relay(child.stdout, 'psql |');
  relay(child.stderr, 'exec |');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

async function main(): Promise<void> {
  if (spawnSync('psql', ['--version']).error !== undefined) {
    console.error(
      'guarded-shell needs psql, the PostgreSQL client, on PATH (apt-get install postgresql-client).',
    );
    process.exitCode = 1;
    return;
  }
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  admin.on('error', () => {});
  try {
    await admin.connect();
  } catch (error) {
    const shown = PG_URL.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
    console.error(
      `guarded-shell needs PostgreSQL: none answers at ${shown} (${error instanceof Error ? error.message || String((error as { code?: unknown }).code) : String(error)}); start one there (trust auth, database "test") or set COUNTERSIGN_PG_URL.`,
    );
    process.exitCode = 1;
    return;
  }
  // A schema of its own, so the demo never touches anything else in the database.
  const schema = `guarded_shell_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.customers (id int PRIMARY KEY, name text)`);
  await admin.query(`INSERT INTO ${schema}.customers VALUES (1, 'Ada Lovelace'), (2, 'Grace Hopper')`);
  await admin.query(`CREATE TABLE ${schema}.payroll (id int PRIMARY KEY, salary numeric)`);
  // Closed in reverse order, whatever happens below.
  const cleanup: (() => Promise<unknown>)[] = [
    () => admin.end(),
    () => admin.query(`DROP SCHEMA ${schema} CASCADE`),
  ];
  try {
    await demo(schema, admin, cleanup);
  } finally {
    for (const close of cleanup.reverse()) await close().catch(() => {});
  }
}

async function demo(schema: string, admin: pg.Client, cleanup: (() => Promise<unknown>)[]): Promise<void> {
  const emulator = createSlackEmulator();
  await emulator.start();
  cleanup.push(() => emulator.close());
  const bob = `slack:${emulator.team.id}:U0BOB`;
  const slack = createSlackTransport({
    token: emulator.token,
    signingSecret: emulator.signingSecret,
    channel: 'C0APPROVALS',
    teamId: emulator.team.id,
    slackApiUrl: emulator.apiUrl,
  });
  const broker = createPostgresRoleBroker({ connectionString: PG_URL, schema, rolePrefix: 'cs_shell_' });
  cleanup.push(() => broker.close());
  const policy: PolicyRule[] = [
    {
      id: 'prod-sql-needs-bob',
      match: { action: 'db.query', resource: 'prod/*' },
      effect: 'require_approval',
      approvers: { users: [bob] },
      grantTtl: '60s',
      credentials: { broker: 'pg', privileges: [`USAGE ON SCHEMA ${schema}`, 'SELECT ON customers'] },
    },
  ];
  const store = createMemoryStore();
  const cs = createCountersign({ store, transports: [slack], policy, credentialBrokers: { pg: broker } });
  cleanup.push(() => cs.close());
  // Development OIDC issuers stand in for the CI job's identity (GitHub Actions) and for people's sign-in.
  const workloads = await createDevIssuer({
    issuer: 'https://ci.example.invalid',
    audience: 'countersign-agents',
  });
  cleanup.push(() => workloads.close());
  const people = await createDevIssuer({ audience: 'countersign-people' });
  cleanup.push(() => people.close());
  const api = createDecisionApi(cs, {
    store,
    oidc: { issuer: people.issuer, audience: people.audience, jwksUrl: people.jwksUrl },
    agents: {
      issuers: [
        {
          issuer: workloads.issuer,
          audience: workloads.audience,
          jwksUrl: workloads.jwksUrl,
          actor: 'agent:ci:{sub}',
        },
      ],
    },
  });
  cleanup.push(() => api.close());
  const server = await listen((request) =>
    new URL(request.url).pathname === SLACK_INTERACTIONS_PATH
      ? slack.handleInteraction(request)
      : api.fetch(request),
  );
  cleanup.push(() => server.close(1000));
  emulator.setInteractionUrl(`${server.url}${SLACK_INTERACTIONS_PATH}`);

  // Bob, in Slack: approves the first request, denies the second, once exec says it is waiting.
  const clicks = [ACTION.Approve, ACTION.Deny];
  const messages = new Map<string, { channel: string; ts: string }>();
  cs.on('delivered', (event) => {
    const ref = event.request?.deliveries.find((d) => d.transport === slack.name)?.ref;
    if (event.request && ref?.channel && ref.ts)
      messages.set(event.request.id, { channel: ref.channel, ts: ref.ts });
  });
  const bobDecides = (line: string) => {
    const requestId = /\(request (req_[a-z0-9]+)/.exec(line)?.[1];
    const message = requestId === undefined ? undefined : messages.get(requestId);
    const actionId = message === undefined ? undefined : clicks.shift();
    if (message === undefined || actionId === undefined) return;
    const text = emulator.message(message.channel, message.ts)?.message.text ?? '';
    say(`   [slack] #approvals: "${text.split('\n')[0]}"`);
    const verb = actionId === ACTION.Approve ? 'Approve' : 'Deny';
    emulator.click({ user: 'U0BOB', ...message, actionId }).then(
      (click) => say(`   [slack] U0BOB clicked ${verb} (HTTP ${click.status})`),
      (error: unknown) => say(`   [slack] the click failed: ${String(error)}`),
    );
  };

  const env = {
    COUNTERSIGN_SERVER: server.url,
    COUNTERSIGN_TOKEN: await workloads.token('report-bot'),
    COUNTERSIGN_SESSION: `guarded-shell-${randomBytes(4).toString('hex')}`,
  };
  const psql = ['psql', '-X', '-v', 'ON_ERROR_STOP=1', '-P', 'footer=off'];
  say('countersign exec: a shell command that runs only once a person approves it');
  say('agent:ci:report-bot holds no database password; it asks to run psql against prod/customers.');
  say();
  say(
    `$ countersign exec --action db.query --resource prod/customers -- psql -c 'SELECT current_user' -c 'SELECT … FROM customers'`,
  );
  const read = ['-c', 'SELECT current_user AS role', '-c', 'SELECT id, name FROM customers ORDER BY id'];
  const first = await countersignExec(
    ['--action', 'db.query', '--resource', 'prod/customers', '--', ...psql, ...read],
    env,
    bobDecides,
  );
  say(`   exit ${first.code}`);
  expect(first.code === 0, 'the approved psql should succeed');
  const role = /cs_shell_grt_[a-z0-9]+/.exec(first.stdout)?.[0];
  expect(role !== undefined, 'psql should have run as a cs_shell_ role');
  const left = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  expect(left.rowCount === 0, 'the role must be gone after the command');
  say(`after it: role ${role} no longer exists; the credentials died with the command`);
  say();
  say(`$ countersign exec --action db.query --resource prod/customers -- psql -c 'SELECT * FROM payroll'`);
  say('   (another command: the first approval does not cover it, so it is a new request)');
  const second = await countersignExec(
    ['--action', 'db.query', '--resource', 'prod/customers', '--', ...psql, '-c', 'SELECT * FROM payroll'],
    env,
    bobDecides,
  );
  say(`   exit ${second.code} (77: denied; psql never ran)`);
  expect(second.code === 77, 'the second command should be denied');
  say();
  say('audit trail (no password or token appears)');
  for (const entry of await cs.audit.entries()) say(`   ${auditLine(entry)}`);
  const verified = await cs.audit.verify();
  expect(verified.ok, 'the audit log must verify');
  say(`cs.audit.verify(): ok, ${verified.entries} entries`);
}

function auditLine(entry: AuditEntry): string {
  const detail = entry.detail ?? '';
  return `#${String(entry.seq).padEnd(3)} ${entry.type.padEnd(19)} ${(entry.approver ?? entry.actor ?? '-').padEnd(24)} ${detail.length > 70 ? `${detail.slice(0, 69)}…` : detail}`;
}

main().catch((error: unknown) => {
  console.error(`guarded-shell failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
