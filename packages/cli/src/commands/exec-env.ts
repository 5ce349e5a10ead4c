// The guarded command's environment: the caller's, without the workload's secrets, plus the grant
// token and the broker's credentials under documented names.
import { WORKLOAD_SECRETS } from './exec-call.js';

/** The grant's single-use token, for a resource that checks it with `cs.grants.consume`. */
export const GRANT_TOKEN_ENV = 'COUNTERSIGN_GRANT_TOKEN';
/** Each credential `name` is given as `COUNTERSIGN_CREDENTIAL_<NAME>` (camelCase to upper snake case). */
export const CREDENTIAL_ENV_PREFIX = 'COUNTERSIGN_CREDENTIAL_';

/** Configuration secrets of countersign itself, which a guarded command has no business holding. */
const COUNTERSIGN_SECRETS = [
  'COUNTERSIGN_PG_URL',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'COUNTERSIGN_WEBHOOK_SECRET',
];

/** libpq's variables, set from a PostgreSQL `connectionString` credential so `psql` and friends use it. */
const LIBPQ = ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD'] as const;

/** `connectionString` → `CONNECTION_STRING`; `PGUSER` stays `PGUSER`. */
export function credentialVariable(name: string): string {
  return `${CREDENTIAL_ENV_PREFIX}${name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase()}`;
}

export function commandEnv(
  base: Readonly<Record<string, string | undefined>>,
  grantToken: string,
  credentials: Readonly<Record<string, string>> | null,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if ((WORKLOAD_SECRETS as readonly string[]).includes(name) || COUNTERSIGN_SECRETS.includes(name))
      continue;
    // Stale values from an outer exec must not pass for this grant's.
    if (name === GRANT_TOKEN_ENV || name.startsWith(CREDENTIAL_ENV_PREFIX)) continue;
    env[name] = value;
  }
  env[GRANT_TOKEN_ENV] = grantToken;
  for (const [name, value] of Object.entries(credentials ?? {})) env[credentialVariable(name)] = value;
  const libpq = libpqFrom(credentials?.connectionString);
  if (libpq !== null) {
    for (const name of LIBPQ) delete env[name];
    Object.assign(env, libpq);
  }
  return env;
}

/** libpq's variables for a `postgres://` URL (what the PostgreSQL role broker issues), else null. */
function libpqFrom(connectionString: string | undefined): Record<string, string> | null {
  if (connectionString === undefined) return null;
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return null;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return null;
  const env: Record<string, string> = {};
  if (url.hostname) env.PGHOST = decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (url.port) env.PGPORT = url.port;
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database) env.PGDATABASE = database;
  if (url.username) env.PGUSER = decodeURIComponent(url.username);
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  return env;
}
