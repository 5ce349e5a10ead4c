import type { PolicyRule } from '@countersign/core';
import { createPostgresStore, type PostgresStore } from '@countersign/postgres-store';

export const PG_URL = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const SCHEMA = process.env.COUNTERSIGN_SCHEMA ?? 'countersign_example';

/** Both processes load the same policy: production deploys need one of two humans. */
export const policy: PolicyRule[] = [
  {
    id: 'prod-deploys',
    match: { action: 'deploy', resource: 'prod/*' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
    quorum: 1,
    requestTtl: '2m',
    risk: 'high',
  },
];

export function openStore(): PostgresStore {
  return createPostgresStore({ connectionString: PG_URL, schema: SCHEMA });
}

export function say(who: string, text: string): void {
  process.stdout.write(`${who.padEnd(10)}| ${text}\n`);
}
