// createPostgresRoleBroker(): a PostgreSQL login role per grant, with exactly the rule's privileges, dropped when the call ends.
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  ConfigError,
  type CredentialBroker,
  type CredentialRequest,
  type Credentials,
  readMembers,
} from '@countersign/core';
import pg from 'pg';
import { grantStatement, PRIVILEGE_FORMS, parsePrivilege } from './postgres-privileges.js';
import { type PublicDatabasePrivilege, publicDatabasePrivileges } from './postgres-public.js';
import { createReservedConnection } from './reserved-connection.js';

export interface PostgresRoleBrokerOptions {
  /** A pool connected as a role with CREATEROLE (and owning, or granted, what rules name). Not closed by the broker. */
  pool?: pg.Pool | undefined;
  /** Or a connection string for such a role; the broker opens and closes its own pool. */
  connectionString?: string | undefined;
  /**
   * Where the issued role connects: a `postgres://host:port/database` URL whose user and password
   * are replaced. Default: `connectionString`, or the pool's.
   */
  connectTo?: string | undefined;
  /** Start of every role name this broker makes, and the only names it will drop. Default `'cs_'`. */
  rolePrefix?: string | undefined;
  /** Where unqualified tables in privileges resolve, and the role's `search_path`. Default `'public'`. */
  schema?: string | undefined;
  /** Most sessions the role may open at once. Default 5. */
  connectionLimit?: number | undefined;
  /**
   * Refuse to issue while PUBLIC may connect to, or create temporary objects in, any database
   * (every role inherits PUBLIC's grants), and grant each role CONNECT on the `connectTo` database
   * only. Needs `connectTo` to name a database. Default false.
   */
  restrictPublic?: boolean | undefined;
}

export interface PostgresRoleBroker extends CredentialBroker {
  /**
   * The databases on which PUBLIC, and so every issued role, may connect or create temporary
   * objects, each with the REVOKE that ends it. Empty once PUBLIC is restricted.
   */
  publicDatabasePrivileges(): Promise<PublicDatabasePrivilege[]>;
  /**
   * Ends the connection reserved for revocations and the pool the broker opened from
   * `connectionString`; a pool passed in is left open.
   */
  close(): Promise<void>;
}

const OPTION_KEYS = [
  'pool',
  'connectionString',
  'connectTo',
  'rolePrefix',
  'schema',
  'connectionLimit',
  'restrictPublic',
];
const PREFIX = /^[a-z_][a-z0-9_]{0,23}$/;
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;
/** Marks a role as this broker's: revoke refuses to drop a role without it. */
const MARK = 'countersign grant ';
const NAME = 'postgres-role';
const pbkdf2Async = promisify(pbkdf2);
/**
 * Concurrent GRANTs and REVOKEs on one table rewrite the same ACL row, and PostgreSQL fails the
 * loser with "tuple concurrently updated": the catalog changes of every issue and drop take turns.
 */
const LOCK_GRANTS = "SELECT pg_advisory_xact_lock(hashtext('countersign:postgres-role'))";

/**
 * Mints a PostgreSQL login role for each grant: a random password (sent only as a SCRAM verifier),
 * `VALID UNTIL` the grant's expiry, exactly the rule's privileges, and a connection string for `run`.
 * Revoking ends the role's sessions and drops it. Privileges are the forms in {@link PRIVILEGE_FORMS}.
 *
 * `VALID UNTIL` bounds password logins only: with `trust` or certificate authentication for these
 * roles, only revocation and the sweeper's reaping end them.
 */
export function createPostgresRoleBroker(options: PostgresRoleBrokerOptions): PostgresRoleBroker {
  const read = readOptions(options);
  const pool = read.pool ?? new pg.Pool({ connectionString: read.connectionString, max: 4 });
  pool.on('error', () => {});
  const owned = read.pool === undefined;
  const connectTo = read.connectTo ?? read.connectionString ?? read.pool?.options.connectionString;
  if (connectTo === undefined) {
    throw new ConfigError(`${NAME}: pass connectTo, the URL issued roles connect to, with a pool`);
  }
  const base = parseUrl(connectTo);
  const prefix = read.rolePrefix ?? 'cs_';
  const schema = read.schema ?? 'public';
  const limit = read.connectionLimit ?? 5;
  const database = read.restrictPublic === true ? databaseOf(base) : null;
  const ownHandle = new RegExp(`^${prefix}[a-z0-9_]{1,${63 - prefix.length}}$`);
  // Revocations never wait for the pool, nor for a free slot on a full server.
  const reserved = createReservedConnection(
    read.pool?.options ?? { connectionString: read.connectionString },
    NAME,
  );
  let closed = false;

  return {
    name: NAME,

    checkPrivileges(privileges) {
      return privileges
        .filter((privilege) => parsePrivilege(privilege) === null)
        .map(
          (privilege) =>
            `${NAME}: ${JSON.stringify(privilege)} is not one of ${PRIVILEGE_FORMS.join(', ')} (identifiers: letters, digits, _)`,
        );
    },

    handle(request: CredentialRequest) {
      const id = request.grantId.toLowerCase();
      const room = 63 - prefix.length;
      const plain = id.length <= room && /^[a-z0-9_]+$/.test(id);
      return (
        prefix +
        (plain ? id : createHash('sha256').update(request.grantId).digest('hex').slice(0, Math.min(room, 40)))
      );
    },

    async issue(request, handle) {
      if (!ownHandle.test(handle))
        throw new Error(`${NAME}: ${JSON.stringify(handle)} is not a role name this broker makes`);
      if (request.expiresAt <= Date.now()) throw new Error(`${NAME}: the grant has already expired`);
      const statements = request.privileges.map((text) => {
        const privilege = parsePrivilege(text);
        if (privilege === null)
          throw new Error(`${NAME}: ${JSON.stringify(text)} is not an allowed privilege`);
        return grantStatement(privilege, handle, schema);
      });
      const password = randomBytes(24).toString('base64url');
      const role = pg.escapeIdentifier(handle);
      // No role is made that a revocation could not reach.
      await reserved.ensure();
      const [client, verifier] = await Promise.all([pool.connect(), scramVerifier(password)]);
      try {
        if (database !== null) await refuseOpenPublic(client);
        // One round trip: every value is a quoted literal or identifier, none a parameter.
        await client.query(
          [
            ...(database === null ? ['BEGIN', LOCK_GRANTS] : []),
            `CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS` +
              ` CONNECTION LIMIT ${limit} PASSWORD ${pg.escapeLiteral(verifier)}` +
              ` VALID UNTIL ${pg.escapeLiteral(new Date(request.expiresAt).toISOString())}`,
            `COMMENT ON ROLE ${role} IS ${pg.escapeLiteral(MARK + request.grantId)}`,
            `ALTER ROLE ${role} SET search_path TO ${pg.escapeIdentifier(schema)}`,
            ...(database === null
              ? []
              : [`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${role}`]),
            ...statements,
            'COMMIT',
          ].join('; '),
        );
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        if (error instanceof Error && error.message.startsWith(NAME)) throw error;
        throw new Error(`${NAME}: could not create role ${handle}: ${describe(error)}`);
      } finally {
        client.release();
      }
      const url = new URL(base);
      url.username = handle;
      url.password = password;
      const credentials: Credentials = { connectionString: url.toString(), user: handle, password };
      return credentials;
    },

    async revoke(handle) {
      if (!ownHandle.test(handle)) {
        throw new Error(
          `${NAME}: refusing to drop ${JSON.stringify(handle)}: not a role name this broker makes`,
        );
      }
      await reserved.use((client) => dropRole(client, handle));
    },

    async publicDatabasePrivileges() {
      const client = await pool.connect();
      try {
        return await publicDatabasePrivileges(client);
      } finally {
        client.release();
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await reserved.close();
      if (owned) await pool.end();
    },
  };
}

/**
 * Opens the issuing transaction and refuses, naming each database and its REVOKE, while PUBLIC may
 * connect to or create temporary objects in any database: an issued role would inherit that.
 */
async function refuseOpenPublic(client: pg.PoolClient): Promise<void> {
  await client.query(`BEGIN; ${LOCK_GRANTS}`);
  const open = await publicDatabasePrivileges(client);
  if (open.length === 0) return;
  throw new Error(
    `${NAME}: restrictPublic is set, but PUBLIC may still connect to or create temporary objects in ` +
      `${open.map((row) => row.database).join(', ')}; run ${open.map((row) => `${row.revoke};`).join(' ')}`,
  );
}

/** Stops new logins, ends every session, drops what the role owns and the role. Nothing to do for a role already gone. */
async function dropRole(client: pg.ClientBase, handle: string): Promise<void> {
  const role = pg.escapeIdentifier(handle);
  try {
    // Concurrent revokes of one role take turns; the second finds it gone.
    await client.query(
      `BEGIN; SELECT pg_advisory_xact_lock(hashtext(${pg.escapeLiteral(`countersign:${handle}`)}))`,
    );
    const found = await client.query<{ oid: number; mark: string | null }>(
      `SELECT oid::int AS oid, shobj_description(oid, 'pg_authid') AS mark FROM pg_roles WHERE rolname = $1`,
      [handle],
    );
    const row = found.rows[0];
    if (row === undefined) {
      await client.query('COMMIT');
      return;
    }
    if (!row.mark?.startsWith(MARK)) {
      throw new Error(`${NAME}: refusing to drop role ${handle}: this broker did not create it`);
    }
    const terminate = `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usesysid = ${Number(row.oid)}`;
    await client.query(
      `ALTER ROLE ${role} NOLOGIN; ${terminate}; ${LOCK_GRANTS}; REASSIGN OWNED BY ${role} TO CURRENT_USER;` +
        ` DROP OWNED BY ${role}; DROP ROLE ${role}; COMMIT`,
    );
    // A session that logged in before NOLOGIN committed, and was missed above.
    await client.query(terminate);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    if (error instanceof Error && error.message.startsWith(NAME)) throw error;
    throw new Error(`${NAME}: could not drop role ${handle}: ${describe(error)}`);
  }
}

/** The SCRAM-SHA-256 verifier PostgreSQL stores, computed here so the password itself is never sent or logged. */
async function scramVerifier(password: string): Promise<string> {
  const salt = randomBytes(16);
  const iterations = 4096;
  const salted = await pbkdf2Async(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest('base64');
  const serverKey = createHmac('sha256', salted).update('Server Key').digest('base64');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey}:${serverKey}`;
}

function readOptions(options: PostgresRoleBrokerOptions): PostgresRoleBrokerOptions {
  const read = readMembers(
    options,
    OPTION_KEYS,
    `${NAME} broker options`,
    'config',
  ) as PostgresRoleBrokerOptions;
  const { pool, connectionString, rolePrefix, schema, connectionLimit, restrictPublic } = read;
  if (restrictPublic !== undefined && typeof restrictPublic !== 'boolean') {
    throw new ConfigError(`${NAME}: restrictPublic must be true or false`);
  }
  if ((pool === undefined) === (connectionString === undefined)) {
    throw new ConfigError(`${NAME}: pass exactly one of pool and connectionString`);
  }
  if (rolePrefix !== undefined && !PREFIX.test(rolePrefix)) {
    throw new ConfigError(
      `${NAME}: rolePrefix must be 1-24 lower-case letters, digits or _, starting with a letter or _`,
    );
  }
  if (schema !== undefined && !SCHEMA.test(schema)) {
    throw new ConfigError(`${NAME}: schema must be a lower-case identifier (letters, digits, _)`);
  }
  if (
    connectionLimit !== undefined &&
    !(Number.isInteger(connectionLimit) && connectionLimit >= 1 && connectionLimit <= 100)
  ) {
    throw new ConfigError(`${NAME}: connectionLimit must be a whole number from 1 to 100`);
  }
  return read;
}

function parseUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return url;
  } catch {}
  throw new ConfigError(`${NAME}: connectTo must be a postgres:// URL`);
}

/** The database a `postgres://` URL names; restricting PUBLIC needs one to grant CONNECT on. */
function databaseOf(url: URL): string {
  const name = decodeURIComponent(url.pathname.slice(1));
  if (name === '' || name.includes('/')) {
    throw new ConfigError(
      `${NAME}: restrictPublic needs connectTo to name the database, e.g. postgres://host/app`,
    );
  }
  return name;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
