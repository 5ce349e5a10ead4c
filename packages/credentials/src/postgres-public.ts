// What PostgreSQL's PUBLIC grants every role, issued ones included, on databases: found and turned into REVOKEs.
import pg from 'pg';

/** A database on which PUBLIC (so every issued role) may connect or create temporary objects. */
export interface PublicDatabasePrivilege {
  database: string;
  connect: boolean;
  temporary: boolean;
  /** The statement that takes both away from PUBLIC; run it as the database's owner or a superuser. */
  revoke: string;
}

/** Databases that accept connections and on which PUBLIC holds CONNECT or TEMPORARY (`template0` refuses connections). */
const PUBLIC_DATABASE_PRIVILEGES = `SELECT datname AS database,
  has_database_privilege('public', oid, 'CONNECT') AS connect,
  has_database_privilege('public', oid, 'TEMPORARY') AS temporary
FROM pg_database
WHERE datallowconn
  AND (has_database_privilege('public', oid, 'CONNECT') OR has_database_privilege('public', oid, 'TEMPORARY'))
ORDER BY datname`;

export async function publicDatabasePrivileges(client: pg.ClientBase): Promise<PublicDatabasePrivilege[]> {
  const found = await client.query<{ database: string; connect: boolean; temporary: boolean }>(
    PUBLIC_DATABASE_PRIVILEGES,
  );
  return found.rows.map((row) => ({
    ...row,
    revoke: `REVOKE CONNECT, TEMPORARY ON DATABASE ${pg.escapeIdentifier(row.database)} FROM PUBLIC`,
  }));
}
