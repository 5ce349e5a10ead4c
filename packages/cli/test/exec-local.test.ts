// countersign exec --config: in process over serve's config file and its PostgreSQL store.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Countersign, createCountersign, type PolicyRule } from '@countersign/core';
import { createPostgresStore } from '@countersign/postgres-store';
import { afterAll, beforeAll, beforeEach, expect, inject, test, vi } from 'vitest';
import type {} from '../../../vitest.postgres.js';
import { ExitCode } from '../src/index.js';
import { node, startExec, startInProcess } from './exec-process.js';

vi.setConfig({ testTimeout: 120_000 });

const postgres = inject('postgres');
beforeEach((context) => {
  if (postgres.skip !== null) context.skip(postgres.skip);
});

const schema = `cs_exec_${randomBytes(5).toString('hex')}`;
const policy: PolicyRule[] = [
  {
    id: 'migrations-need-bob',
    match: { action: 'db.migrate' },
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
  },
];
let dir: string;
let config: string;
let approver: Countersign;

beforeAll(async () => {
  if (postgres.skip !== null) return;
  dir = mkdtempSync(join(tmpdir(), 'cs-exec-local-'));
  config = join(dir, 'countersign.json');
  writeFileSync(
    config,
    JSON.stringify({
      database: { url: postgres.url, schema },
      policy,
      // The approval server's own sign-in; exec never listens, but the file is serve's.
      oidc: { issuer: 'https://issuer.test', audience: 'countersign', jwksUrl: 'https://issuer.test/jwks' },
    }),
  );
  // The approver's side: another process on the same store, as `countersign serve` would be.
  const store = createPostgresStore({ connectionString: postgres.url, schema });
  await store.migrate();
  approver = createCountersign({ store, policy, logger: null });
});

afterAll(async () => {
  if (postgres.skip !== null) return;
  await approver.close();
  const require = createRequire(new URL('../../postgres-store/package.json', import.meta.url));
  // `pg` is the PostgreSQL store's dependency, not the CLI's.
  const { Client } = require('pg') as {
    Client: new (config: {
      connectionString: string;
    }) => {
      connect(): Promise<void>;
      query(sql: string): Promise<unknown>;
      end(): Promise<void>;
    };
  };
  const client = new Client({ connectionString: postgres.url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  rmSync(dir, { recursive: true, force: true });
});

const MARK = "require('fs').writeFileSync('ran', String(process.env.COUNTERSIGN_GRANT_TOKEN))";
const execArgs = (session: string) =>
  [
    [
      '--config',
      config,
      '--actor',
      'agent:ci',
      '--action',
      'db.migrate',
      '--session',
      session,
      '--',
      ...node(MARK),
    ],
    {},
    dir,
  ] as const;
/** In this process: for cases that send no signal. */
const exec = (session: string) => startInProcess(...execArgs(session));
/** A child process, to send signals to. */
const execChild = (session: string) => startExec(...execArgs(session));
const requestIdIn = (stderr: string) => /\(request (req_[a-z0-9]+)/.exec(stderr)?.[1];

test('Ctrl-C while pending cancels the request for good: exit 66, the command never runs', async () => {
  const run = execChild('local-1');
  await run.until(/waiting for approval/);
  run.child.kill('SIGINT');
  const end = await run.done;
  expect(end.code).toBe(ExitCode.ExecCancelled);
  const request = await approver.getRequest(requestIdIn(end.stderr)!);
  expect(request?.status).toBe('cancelled');
  expect(existsSync(join(dir, 'ran'))).toBe(false);
});

test('approved by another process on the store: runs once, with the grant token, audited executed', async () => {
  const run = exec('local-2');
  await run.until(/\(request req_/);
  const id = requestIdIn(run.output().stderr)!;
  await approver.decide(id, { approver: 'user:bob', outcome: 'approve', via: 'test' });
  const end = await run.done;
  expect(end.code, end.stderr).toBe(0);
  expect(readFileSync(join(dir, 'ran'), 'utf8')).toMatch(/^cst_/);
  expect((await approver.getRequest(id))?.status).toBe('executed');
});

test('--actor is required with --config, and --config without a database is a configuration error', async () => {
  const missing = await startInProcess(
    ['--config', config, '--action', 'a', '--session', 's', '--', 'true'],
    {},
    dir,
  ).done;
  expect(missing.code).toBe(ExitCode.ExecUsage);
  const bare = join(dir, 'bare.json');
  writeFileSync(bare, JSON.stringify({ policy: [] }));
  const end = await startInProcess(
    ['--config', bare, '--actor', 'agent:ci', '--action', 'a', '--session', 's', '--', 'true'],
    {},
    dir,
  ).done;
  expect(end.code).toBe(ExitCode.ExecConfig);
});
