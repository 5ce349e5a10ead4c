import { runCredentialBrokerConformance } from '@countersign/core/testing';
import { afterAll, describe, expect, test } from 'vitest';
import { createPostgresRoleBroker } from '../src/index.js';
import { asRole, freshDatabase, PG_URL, roleExists } from './helpers.js';

// One schema for the file: the suite's privileges name it. Each test gets its own broker.
const database = freshDatabase();
const { schema } = await database.catch(() => ({ schema: 'cs_cred_unavailable' }));
afterAll(async () => {
  await database.then(({ cleanup }) => cleanup()).catch(() => {});
});

runCredentialBrokerConformance(
  { describe, test, expect },
  {
    create: async () => {
      const { prefix } = await database;
      const broker = createPostgresRoleBroker({ connectionString: PG_URL, rolePrefix: prefix, schema });
      return {
        broker,
        works: async (credentials) => {
          const result = await asRole(
            credentials.connectionString!,
            'SELECT count(*)::int AS n FROM customers',
          );
          return 'rows' in result;
        },
        exists: roleExists,
        cleanup: () => broker.close(),
      };
    },
    privileges: [`USAGE ON SCHEMA ${schema}`, 'SELECT ON customers'],
    refused: [
      'SELECT ON customers; DROP TABLE orders',
      'ALL ON customers',
      'SELECT ON "customers"',
      'SELECT ON customers TO postgres',
      'CREATE ON SCHEMA public',
      'GRANT pg_read_all_data',
      'SELECT ON customers, orders',
      'TRUNCATE ON customers',
    ],
    foreignHandle: 'postgres',
  },
);
