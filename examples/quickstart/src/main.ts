import {
  type AuditEntry,
  createCountersign,
  type GuardContext,
  isCountersignError,
  type PolicyRule,
  verifyAuditLog,
} from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { createTerminalTransport } from '@countersign/terminal-transport';
import { createDatabase, type ExportRequest } from './database.js';

const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
const bold = paint(1);
const dim = paint(2);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);

const say = (text = '') => console.log(text);
/** Fails the demo: everything below is expected, so anything else is a bug worth a non-zero exit. */
function expect(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`unexpected: ${what}`);
}

const policy: PolicyRule[] = [
  { id: 'reads-ok', match: { action: 'db.read*' }, effect: 'allow' },
  {
    id: 'prod-exports-need-owner',
    match: { action: 'db.export', resource: 'prod/*' },
    effect: 'require_approval',
    approvers: { groups: ['data-owners'] },
    quorum: 1,
    risk: 'high',
    requestTtl: '5m',
  },
  { id: 'no-privilege-escalation', match: { action: 'iam.*' }, effect: 'deny' },
];

async function main(): Promise<void> {
  const interactive = process.stdin.isTTY === true;
  const cs = createCountersign({
    store: createMemoryStore(),
    transports: interactive ? [createTerminalTransport({ approver: 'user:you', promptTimeout: '2m' })] : [],
    directory: { 'user:you': { groups: ['data-owners'] }, 'user:bob': { groups: ['data-owners'] } },
    policy,
    defaultEffect: 'deny',
    // Without a terminal there is no transport, and the simulated approver decides in code (it says so).
    logger: null,
  });
  const db = createDatabase(cs);
  const context: GuardContext = {
    actor: 'agent:report-bot',
    onBehalfOf: 'user:alice',
    reason: 'Alice asked for the Q3 churn report',
    sessionId: 'sess_quickstart',
  };

  say(bold('countersign quickstart'));
  say(dim('agent:report-bot, acting for user:alice, tries three things. Policy and a person decide.'));
  say();
  if (interactive) {
    say(`${yellow('You are user:you, a data owner.')} The approval prompt below is yours to answer.`);
  } else {
    say(yellow('[simulated approver] no TTY detected: user:bob approves from code via cs.decide()'));
    cs.on('requested', ({ request }) => {
      if (request === null) return;
      const params = JSON.stringify(request.action.params);
      say(
        `   ${yellow('[simulated approver]')} user:bob sees ${request.action.name} ${request.action.resource} ${params}`,
      );
      cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', via: 'simulated' }).catch(
        (error: unknown) => {
          say(red(`   [simulated approver] could not approve: ${String(error)}`));
        },
      );
    });
  }
  say();

  say(bold('1. Read prod/customers') + dim('  (db.readTable, rule reads-ok)'));
  const rows = await cs.guard(
    {
      name: 'db.readTable',
      resource: 'prod/customers',
      params: { table: 'customers', limit: 2 },
      run: () => db.read('customers', 2),
    },
    context,
  );
  expect(rows.length === 2, 'the read should return two rows');
  say(`   ${green('allowed')}: read ${rows.length} rows without asking anyone`);
  say();

  say(bold('2. Export prod/customers to a bucket') + dim('  (db.export, rule prod-exports-need-owner)'));
  say(dim('   the params carry an API key; approvers and the audit log only ever see it redacted'));
  const exportTable = cs.wrap(
    { name: 'db.export', resource: (input: ExportRequest) => `prod/${input.table}` },
    async (input: ExportRequest, grant) => {
      const result = await db.export(grant.token, input, context.sessionId);
      say(
        `   ${green('approved')}: the database accepted grant ${result.grantId} and exported ${result.rows.length} rows`,
      );
      try {
        await db.export(grant.token, input, context.sessionId);
        return { replayRefused: null };
      } catch (error) {
        if (!isCountersignError(error, 'grant_refused')) throw error;
        say(`   ${green('replay refused')}: the same grant a second time -> ${error.message}`);
        return { replayRefused: error.message };
      }
    },
  );
  const request: ExportRequest = {
    table: 'customers',
    format: 'csv',
    destination: { bucket: 's3://acme-reports/q3', apiKey: 'sk_live_51QuickstartDemoKey0000000000' },
  };
  try {
    const { replayRefused } = await exportTable(request, context);
    expect(replayRefused !== null, 'a replayed grant must be refused');
  } catch (error) {
    const deniedByYou =
      interactive &&
      (isCountersignError(error, 'approval_denied') || isCountersignError(error, 'approval_expired'));
    if (!deniedByYou) throw error;
    say(`   ${red('not exported')}: ${error.message}`);
  }
  say();

  say(bold('3. Grant itself the admin role') + dim('  (iam.grantRole, rule no-privilege-escalation)'));
  try {
    await cs.guard(
      {
        name: 'iam.grantRole',
        resource: 'iam/roles/admin',
        params: { principal: 'agent:report-bot', role: 'admin' },
        run: () => 'escalated',
      },
      context,
    );
    expect(false, 'privilege escalation must be denied by policy');
  } catch (error) {
    if (!isCountersignError(error, 'policy_denied')) throw error;
    say(`   ${red('denied')} by policy: ${error.message}`);
  }
  say();

  say(bold('Audit trail'));
  for (const entry of await cs.audit.entries()) say(`   ${auditLine(entry)}`);
  const verified = await cs.audit.verify();
  const offline = verifyAuditLog(await cs.audit.export());
  say();
  say(
    `${bold('cs.audit.verify()')}: ${verified.ok ? green(`ok, ${verified.entries} entries, hash chain intact`) : red(JSON.stringify(verified))}`,
  );
  say(
    `${bold('verifyAuditLog(await cs.audit.export())')}: ${offline.ok ? green(`ok, ${offline.entries} entries`) : red(JSON.stringify(offline))}`,
  );
  expect(verified.ok && offline.ok, 'the audit log must verify');
  await cs.close();
}

function auditLine(entry: AuditEntry): string {
  const who = entry.approver ?? entry.actor ?? '-';
  const detail = [entry.via && `via ${entry.via}`, entry.outcome, entry.comment, entry.detail]
    .filter(Boolean)
    .join('; ');
  const short = detail.length > 70 ? `${detail.slice(0, 69)}…` : detail;
  return `#${String(entry.seq).padEnd(3)} ${entry.type.padEnd(15)} ${who.padEnd(17)} ${(entry.ruleId ?? '-').padEnd(24)} ${dim(short)}`;
}

main().catch((error: unknown) => {
  console.error(red(`quickstart failed: ${error instanceof Error ? error.message : String(error)}`));
  process.exitCode = 1;
});
