// The quickstart's export, run with a PostgreSQL role that can read only `customers` for 60 seconds.
import { randomBytes } from 'node:crypto';
import { type AuditEntry, createCountersign, type PolicyRule } from '@countersign/core';
import { createPostgresRoleBroker } from '@countersign/credentials';
import { createMemoryStore } from '@countersign/memory-store';
import pg from 'pg';

const URL = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const say = (text = '') => console.log(text);
/** Fails the demo: everything below is expected, so anything else is a bug worth a non-zero exit. */
function expect(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`unexpected: ${what}`);
}

/** Runs `sql` on a new connection; the rows, or the error PostgreSQL refused it with. */
async function query(
  connectionString: string,
  sql: string,
): Promise<{ rows: unknown[] } | { refused: string }> {
  const client = new pg.Client({ connectionString });
  client.on('error', () => {});
  try {
    await client.connect();
    return { rows: (await client.query(sql)).rows };
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.end().catch(() => {});
  }
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: URL, connectionTimeoutMillis: 3000 });
  admin.on('error', () => {});
  try {
    await admin.connect();
  } catch (error) {
    const shown = URL.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
    console.error(
      `jit-credentials needs PostgreSQL: none answers at ${shown} (${error instanceof Error ? error.message || String((error as { code?: unknown }).code) : String(error)}); start one there (trust auth, database "test") or set COUNTERSIGN_PG_URL.`,
    );
    process.exitCode = 1;
    return;
  }

  // A schema of its own, so the demo never touches anything else in the database.
  const schema = `jit_demo_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.customers (id int PRIMARY KEY, name text, email text)`);
  await admin.query(
    `INSERT INTO ${schema}.customers VALUES (1, 'Ada Lovelace', 'ada@example.com'), (2, 'Grace Hopper', 'grace@example.com'), (3, 'Katherine Johnson', 'kj@example.com')`,
  );
  await admin.query(`CREATE TABLE ${schema}.payroll (id int PRIMARY KEY, salary numeric)`);

  const broker = createPostgresRoleBroker({ connectionString: URL, schema, rolePrefix: 'cs_jit_' });
  const policy: PolicyRule[] = [
    {
      id: 'prod-exports-need-owner',
      match: { action: 'db.export', resource: 'prod/*' },
      effect: 'require_approval',
      approvers: { groups: ['data-owners'] },
      grantTtl: '60s',
      credentials: { broker: 'pg', privileges: [`USAGE ON SCHEMA ${schema}`, 'SELECT ON customers'] },
    },
  ];
  const cs = createCountersign({
    store: createMemoryStore(),
    directory: { 'user:bob': { groups: ['data-owners'] } },
    policy,
    credentialBrokers: { pg: broker },
    // No transports: the simulated approver below decides in process, so there is nobody to warn.
    logger: null,
  });
  cs.on('requested', ({ request }) => {
    if (request === null) return;
    say(`   [simulated approver] user:bob approves ${request.action.name} ${request.action.resource}`);
    cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', via: 'simulated' }).catch(() => {});
  });

  try {
    say('countersign just-in-time credentials');
    say('agent:report-bot exports prod/customers; it holds no database password of its own.');
    say();
    let role = '';
    const exported = await cs.guard(
      {
        name: 'db.export',
        resource: 'prod/customers',
        params: { table: 'customers', format: 'csv' },
        run: async (grant) => {
          const { connectionString, user } = grant.credentials!;
          role = user!;
          const found = await admin.query<{ valid: string }>(
            `SELECT to_char(rolvaliduntil AT TIME ZONE 'UTC', 'HH24:MI:SS') AS valid FROM pg_roles WHERE rolname = $1`,
            [role],
          );
          expect(found.rowCount === 1, 'the role should exist during the call');
          say(
            `   during the call: role ${role} exists, valid until ${found.rows[0]!.valid} UTC (the grant's expiry)`,
          );
          const rows = await query(connectionString!, 'SELECT id, name, email FROM customers ORDER BY id');
          expect('rows' in rows, `reading customers should work: ${JSON.stringify(rows)}`);
          say(`   SELECT FROM customers as ${role}: ${rows.rows.length} rows`);
          const payroll = await query(connectionString!, 'SELECT * FROM payroll');
          expect('refused' in payroll, 'reading payroll must be refused');
          say(`   SELECT FROM payroll: refused by PostgreSQL (${payroll.refused})`);
          const drop = await query(connectionString!, 'DROP TABLE customers');
          expect('refused' in drop, 'dropping customers must be refused');
          say(`   DROP TABLE customers: refused by PostgreSQL (${drop.refused})`);
          return rows.rows.map((row) => Object.values(row as object).join(',')).join('\n');
        },
      },
      {
        actor: 'agent:report-bot',
        onBehalfOf: 'user:alice',
        reason: 'Alice asked for the Q3 churn report',
        sessionId: 'sess_jit',
      },
    );
    const after = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    expect(after.rowCount === 0, 'the role must be gone after the call');
    say(`   after the call: role ${role} no longer exists`);
    say();
    say(`exported:\n${exported}`);
    say();
    say('audit trail (the password never appears; only the role name does)');
    for (const entry of await cs.audit.entries()) say(`   ${auditLine(entry)}`);
    const verified = await cs.audit.verify();
    expect(verified.ok, 'the audit log must verify');
    say(`cs.audit.verify(): ok, ${verified.entries} entries`);
  } finally {
    await cs.close();
    await broker.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

function auditLine(entry: AuditEntry): string {
  const detail = entry.detail ?? '';
  return `#${String(entry.seq).padEnd(3)} ${entry.type.padEnd(19)} ${(entry.approver ?? entry.actor ?? '-').padEnd(17)} ${detail.length > 90 ? `${detail.slice(0, 89)}…` : detail}`;
}

main().catch((error: unknown) => {
  console.error(`jit-credentials failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
