// @countersign/credentials: just-in-time credentials for countersign grants, PostgreSQL roles and signed tokens.
export { PRIVILEGE_FORMS } from './postgres-privileges.js';
export {
  createPostgresRoleBroker,
  type PostgresRoleBroker,
  type PostgresRoleBrokerOptions,
} from './postgres-role-broker.js';
