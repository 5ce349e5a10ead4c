// Writes a real audit log, its checkpoints and the public key to a temporary directory.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Checkpoint, checkpointLine, createCheckpointer } from '@countersign/audit';
import { createCountersign } from '@countersign/core';
import { createTestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';

export interface LogFiles {
  dir: string;
  log: string;
  checkpoints: string;
  publicKey: string;
  otherKey: string;
  policy: string;
  requestId: string;
}

export const POLICY = {
  policy: [
    { id: 'reads-ok', match: { action: 'db.read*' }, effect: 'allow' },
    { id: 'no-iam', match: { action: 'iam.*' }, effect: 'deny' },
    {
      id: 'exports-need-one',
      match: { action: 'db.export', resource: 'prod/*' },
      effect: 'require_approval',
      approvers: { groups: ['owners'] },
      requestTtl: '15m',
    },
  ],
  directory: { 'user:bob': { groups: ['owners'] } },
};

/**
 * Two allowed reads (2 entries each), one policy denial and one approved export whose action
 * consumes its grant (requested, approved, granted, executed): 9 entries, checkpointed at 4 and 9.
 */
export async function writeLogFiles(): Promise<LogFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-cli-'));
  const keys = generateKeyPairSync('ed25519');
  const clock = createTestClock(Date.UTC(2026, 0, 2, 9, 30));
  // No transports: the export below is decided through decide(), so no notice is wanted.
  const cs = createCountersign({ store: createMemoryStore(), clock, logger: null, ...POLICY } as never);
  const written: Checkpoint[] = [];
  const checkpointer = createCheckpointer(cs, {
    key: keys.privateKey,
    keyId: 'ops-1',
    origin: 'test/cli',
    everyEntries: 0,
    clock,
    sink: (checkpoint) => {
      written.push(checkpoint);
    },
  });
  const context = { actor: 'agent:report-bot', reason: 'Q3 report', sessionId: 'sess_1' };
  for (const table of ['orders', 'customers']) {
    await cs.guard({ name: 'db.read', resource: 'prod/db', params: { table }, run: () => 1 }, context);
  }
  await checkpointer.checkpoint();
  await cs.guard({ name: 'iam.grant', resource: 'prod', params: {}, run: () => 1 }, context).catch(() => {});
  const requested = new Promise<string>((resolve) =>
    cs.once('requested', (e) => resolve(e.entry.requestId!)),
  );
  const params = { table: 'customers' };
  const check = { name: 'db.export', resource: 'prod/customers', params, sessionId: context.sessionId };
  const exported = cs.guard(
    {
      name: 'db.export',
      resource: 'prod/customers',
      params,
      run: async (grant) => {
        await clock.advance(1_000);
        await cs.grants.consume(grant.token, check);
        await clock.advance(1_000);
        return 'csv';
      },
    },
    context,
  );
  const requestId = await requested;
  await cs.decide(requestId, {
    approver: 'user:bob',
    outcome: 'approve',
    comment: 'ok for Q3',
    via: 'cli-test',
  });
  await exported;
  await checkpointer.checkpoint();
  await checkpointer.close();
  const files: LogFiles = {
    dir,
    log: join(dir, 'audit.jsonl'),
    checkpoints: join(dir, 'checkpoints.jsonl'),
    publicKey: join(dir, 'ops-1.pem'),
    otherKey: join(dir, 'other.pem'),
    policy: join(dir, 'policy.json'),
    requestId,
  };
  writeFileSync(files.log, await cs.audit.export());
  writeFileSync(files.checkpoints, written.map(checkpointLine).join(''));
  writeFileSync(files.publicKey, keys.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(
    files.otherKey,
    generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
  );
  writeFileSync(files.policy, JSON.stringify(POLICY));
  await cs.close();
  return files;
}
