import { expect, inject, test } from 'vitest';
import type {} from '../../../vitest.postgres.js';
import { runExample } from '../../run-example.js';

const postgres = inject('postgres');

test('without PostgreSQL it says, in one line, how to start it or set COUNTERSIGN_PG_URL, and exits non-zero', async () => {
  const { code, stdout, stderr } = await runExample(import.meta.url, {
    COUNTERSIGN_PG_URL: 'postgres://postgres:hunter2@127.0.0.1:1/test',
  });
  expect(code).not.toBe(0);
  expect(stdout).toBe('');
  const line = stderr.split('\n').find((text) => text.startsWith('jit-credentials needs PostgreSQL'));
  expect(line).toContain('COUNTERSIGN_PG_URL');
  expect(line).toContain('postgres://postgres:***@127.0.0.1:1/test');
  expect(stderr).not.toContain('hunter2');
});

test('the export runs as a role that exists during the call, reads only customers, and is gone after', async (context) => {
  if (postgres.skip !== null) context.skip(postgres.skip);
  const { code, stdout, stderr } = await runExample(import.meta.url, { COUNTERSIGN_PG_URL: postgres.url });
  expect(code, stderr).toBe(0);
  const role = /during the call: role (cs_jit_grt_[a-z0-9]+) exists/.exec(stdout)?.[1];
  expect(role).toBeDefined();
  expect(stdout).toContain(`SELECT FROM customers as ${role}: 3 rows`);
  expect(stdout).toContain(
    'SELECT FROM payroll: refused by PostgreSQL (permission denied for table payroll)',
  );
  expect(stdout).toContain('DROP TABLE customers: refused by PostgreSQL');
  expect(stdout).toContain(`after the call: role ${role} no longer exists`);
  expect(stdout).toMatch(/credential_issued .*"handle":"cs_jit_grt_/);
  expect(stdout).toMatch(/credential_revoked/);
  expect(stdout).toContain('cs.audit.verify(): ok, 6 entries');
});
