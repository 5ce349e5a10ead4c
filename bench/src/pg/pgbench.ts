// pgbench against the bench's server, in a schema of its own: the same run's measure of what the database does.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

const PGBENCH =
  [process.env.PGBENCH, '/usr/lib/postgresql/15/bin/pgbench'].find((p) => p && existsSync(p)) ?? 'pgbench';

/** Runs pgbench with `extra` against `url`'s database, its tables in `schema`; its stdout. */
function runPgbench(url: string, schema: string, extra: string[]): Promise<string> {
  const u = new URL(url);
  const connection = [
    '-h',
    u.hostname,
    '-p',
    u.port || '5432',
    '-U',
    decodeURIComponent(u.username || 'postgres'),
  ];
  const db = u.pathname.slice(1) || 'postgres';
  const env = {
    ...process.env,
    PGOPTIONS: `-c search_path=${schema}`,
    PGPASSWORD: decodeURIComponent(u.password),
    PGAPPNAME: `csb_pgbench_${schema}`,
  };
  return new Promise<string>((resolve, reject) =>
    execFile(PGBENCH, [...connection, ...extra, db], { env }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

/** `pgbench -i -s 1` in `schema`: the tables `pgbench -b simple-update` works on. */
export async function pgbenchInit(url: string, schema: string): Promise<void> {
  await runPgbench(url, schema, ['-i', '-q', '-s', '1']);
}

/** `pgbench -b simple-update` at `clients` clients for `seconds`: transactions per second, or null. */
export async function pgbench(
  url: string,
  schema: string,
  clients: number,
  seconds: number,
): Promise<number | null> {
  const out = await runPgbench(url, schema, [
    '-n',
    '-b',
    'simple-update',
    '-c',
    String(clients),
    '-j',
    '2',
    '-T',
    String(seconds),
  ]);
  const tps = /tps = ([\d.]+)/.exec(out);
  return tps ? Number(tps[1]) : null;
}
