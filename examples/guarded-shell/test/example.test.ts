import { spawnSync } from 'node:child_process';
import { expect, inject, test } from 'vitest';
import type {} from '../../../vitest.postgres.js';
import { runExample } from '../../run-example.js';

const postgres = inject('postgres');
const noPsql = spawnSync('psql', ['--version']).error === undefined ? null : 'psql is not on PATH';

test('without PostgreSQL it says, in one line, how to start it or set COUNTERSIGN_PG_URL, and exits non-zero', async (context) => {
  if (noPsql !== null) context.skip(noPsql);
  const { code, stdout, stderr } = await runExample(import.meta.url, {
    COUNTERSIGN_PG_URL: 'postgres://postgres:hunter2@127.0.0.1:1/test',
  });
  expect(code).not.toBe(0);
  expect(stdout).toBe('');
  expect(stderr).toContain(
    'guarded-shell needs PostgreSQL: none answers at postgres://postgres:***@127.0.0.1:1/test',
  );
  expect(stderr).not.toContain('hunter2');
}, 60_000);

test('psql runs once Bob approves in Slack, as a role that is gone after; a changed command is a new request, denied', async (context) => {
  if (postgres.skip !== null) context.skip(postgres.skip);
  if (noPsql !== null) context.skip(noPsql);
  const { code, stdout, stderr } = await runExample(import.meta.url, { COUNTERSIGN_PG_URL: postgres.url });
  expect(code, stderr).toBe(0);
  const role = /psql \| {2}(cs_shell_grt_[a-z0-9]+)/.exec(stdout)?.[1];
  expect(role).toBeDefined();
  expect(stdout).toContain('U0BOB clicked Approve (HTTP 200)');
  expect(stdout).toMatch(/psql \| +2 \| Grace Hopper/);
  expect(stdout).toContain(`after it: role ${role} no longer exists`);
  expect(stdout).toContain('U0BOB clicked Deny (HTTP 200)');
  expect(stdout).toContain('exit 77 (77: denied; psql never ran)');
  expect(stdout).not.toContain('Permission denied');
  expect(stdout).toContain('cs.audit.verify(): ok, 10 entries');
  // Neither the workload token (a JWT) nor the grant token is ever printed.
  expect(stdout).not.toMatch(/eyJ|cst_/);
}, 120_000);
