// countersign audit export: streams a PostgreSQL store's audit log as JSON lines or OCSF NDJSON.
import { readAuditEntries, toOcsfEvent } from '@countersign/audit';
import { AuditActions, type AuditEntry, canonicalJson } from '@countersign/core';
import { createPostgresStore } from '@countersign/postgres-store';
import { type CommandSpec, parseArgs, required, single } from '../args.js';
import { ExitCode, inputError, usageError } from '../exit-codes.js';
import { type Io, write } from '../io.js';

export const exportSpec: CommandSpec = {
  name: 'audit export',
  flags: { store: { value: true }, schema: { value: true }, format: { value: true } },
  positionals: [],
};

export const exportHelp = `Usage: countersign audit export --store <postgres url> [--schema <s>] --format jsonl|ocsf

Reads the audit log from a PostgreSQL store, oldest entry first, and writes it to stdout:
  jsonl   one canonical JSON entry per line, as cs.audit.export() writes; check it with
          'countersign audit verify'
  ocsf    one OCSF 1.8 API Activity (class 6003) event per line, for a SIEM

Reads only: nothing is created or migrated. The URL's password never appears in output.

Options:
  --store <url>       postgres://user@host:5432/db (COUNTERSIGN_PG_URL is not read implicitly)
  --schema <s>        the store's schema. Default: countersign
  --format <format>   jsonl or ocsf
  -h, --help          show this help

Exit codes: 0 exported, 2 usage error, 3 the store cannot be read.
`;

const FORMATS = ['jsonl', 'ocsf'] as const;

export async function exportCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(exportSpec, argv);
  if (args.help) {
    await write(io.stdout, exportHelp);
    return ExitCode.Ok;
  }
  const url = required(args, exportSpec, 'store');
  const format = required(args, exportSpec, 'format');
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--format must be jsonl or ocsf, not "${format}"`);
  }
  if (!/^postgres(ql)?:\/\//.test(url))
    throw usageError('--store must be a postgres:// or postgresql:// URL');
  const schema = single(args, 'schema');
  let store: ReturnType<typeof createPostgresStore>;
  try {
    store = createPostgresStore({
      connectionString: url,
      notifications: false,
      ...(schema === undefined ? {} : { schema }),
    });
  } catch (error) {
    throw usageError(describe(error).replace(/^\[countersign\] /, ''));
  }
  const line = format === 'ocsf' ? ocsfLines() : jsonLine;
  const source = {
    entries: async (afterSeq: number, limit: number) => {
      try {
        return await store.readAudit(afterSeq, limit);
      } catch (error) {
        throw inputError(
          `cannot read the audit log from ${safeUrl(url)}: ${hideSecrets(describe(error), url)}`,
        );
      }
    },
  };
  try {
    for await (const entry of readAuditEntries(source)) await write(io.stdout, line(entry));
  } finally {
    await store.close().catch(() => {});
  }
  return ExitCode.Ok;
}

function jsonLine(entry: AuditEntry): string {
  return `${canonicalJson(entry)}\n`;
}

/** OCSF lines for entries read in chain order: an outcome's action is its grant's entry's. */
function ocsfLines(): (entry: AuditEntry) => string {
  const actions = new AuditActions();
  return (entry) => `${JSON.stringify(toOcsfEvent(entry, {}, actions.read(entry)))}\n`;
}

/** The URL without user, password or query: what errors may show. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the store';
  }
}

function hideSecrets(text: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // An unparsable URL has no password to hide.
  }
  return password === '' ? text : text.split(password).join('***');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
