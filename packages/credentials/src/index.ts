// @countersign/credentials: just-in-time credentials for countersign grants, PostgreSQL roles and signed tokens.
export { PRIVILEGE_FORMS } from './postgres-privileges.js';
export type { PublicDatabasePrivilege } from './postgres-public.js';
export {
  createPostgresRoleBroker,
  type PostgresRoleBroker,
  type PostgresRoleBrokerOptions,
} from './postgres-role-broker.js';
export {
  createSignedTokenBroker,
  type GrantTokenJwk,
  type GrantTokenJwks,
  type SignedTokenBroker,
  type SignedTokenBrokerOptions,
} from './signed-token-broker.js';
export {
  createMemoryReplayGuard,
  type GrantTokenClaims,
  type ReplayGuard,
  type VerifyGrantTokenOptions,
  verifyGrantToken,
} from './verify-grant-token.js';
