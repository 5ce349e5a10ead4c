import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { expect, test } from 'vitest';

const PG_URL = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

test('pnpm start: the agent deploys only after the approval server approves, and exits 0', async () => {
  const schema = `example_${randomBytes(5).toString('hex')}`;
  try {
    const result = spawnSync(
      process.execPath,
      ['--conditions=@countersign/source', '--import', 'tsx', 'src/start.ts'],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, COUNTERSIGN_PG_URL: PG_URL, COUNTERSIGN_SCHEMA: schema },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const approved = lines.findIndex((line) => line.includes('bob approved'));
    const ran = lines.findIndex((line) => line.includes('running the deploy'));
    expect(approved).toBeGreaterThan(-1);
    expect(ran).toBeGreaterThan(approved);
    expect(result.stdout).toContain('audit chain verified');
  } finally {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await client.end();
  }
});
