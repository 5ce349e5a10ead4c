// The privilege forms the PostgreSQL role broker grants: an allow-list, parsed into quoted GRANT statements.
import pg from 'pg';

/** A privilege a rule may name, parsed. Identifiers are folded to lower case, as PostgreSQL folds unquoted ones. */
export type PostgresPrivilege =
  | {
      kind: 'table';
      privilege: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
      schema: string | null;
      table: string;
    }
  | { kind: 'schema'; schema: string };

const IDENT = '[A-Za-z_][A-Za-z0-9_]{0,62}';
const TABLE = new RegExp(`^(SELECT|INSERT|UPDATE|DELETE) ON (?:TABLE )?(?:(${IDENT})\\.)?(${IDENT})$`, 'i');
const SCHEMA = new RegExp(`^USAGE ON SCHEMA (${IDENT})$`, 'i');

/** The forms, for error messages and the README. */
export const PRIVILEGE_FORMS = [
  'SELECT ON <table>',
  'INSERT ON <table>',
  'UPDATE ON <table>',
  'DELETE ON <table>',
  'USAGE ON SCHEMA <schema>',
] as const;

/** The privilege, or null when it is not exactly one of {@link PRIVILEGE_FORMS} (`<table>` may be `schema.table`). */
export function parsePrivilege(text: string): PostgresPrivilege | null {
  const normalised = text.trim().replace(/\s+/g, ' ');
  const table = TABLE.exec(normalised);
  if (table) {
    const privilege = table[1]!.toUpperCase() as 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
    return {
      kind: 'table',
      privilege,
      schema: table[2]?.toLowerCase() ?? null,
      table: table[3]!.toLowerCase(),
    };
  }
  const schema = SCHEMA.exec(normalised);
  if (schema) return { kind: 'schema', schema: schema[1]!.toLowerCase() };
  return null;
}

/** The GRANT for a parsed privilege, every identifier quoted; unqualified tables resolve in `defaultSchema`. */
export function grantStatement(privilege: PostgresPrivilege, role: string, defaultSchema: string): string {
  const to = pg.escapeIdentifier(role);
  if (privilege.kind === 'schema')
    return `GRANT USAGE ON SCHEMA ${pg.escapeIdentifier(privilege.schema)} TO ${to}`;
  const table = `${pg.escapeIdentifier(privilege.schema ?? defaultSchema)}.${pg.escapeIdentifier(privilege.table)}`;
  return `GRANT ${privilege.privilege} ON TABLE ${table} TO ${to}`;
}
