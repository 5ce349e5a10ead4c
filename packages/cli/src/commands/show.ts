// countersign audit show: a readable timeline of an exported log, or of one request in it.
import { describeEntry } from '@countersign/audit';
import { AuditActions, type AuditEntry, type RedactedAction } from '@countersign/core';
import { type CommandSpec, parseArgs, single } from '../args.js';
import { ExitCode, inputError } from '../exit-codes.js';
import { type Io, write } from '../io.js';
import { readAuditLog } from '../read-log.js';

export const showSpec: CommandSpec = {
  name: 'audit show',
  flags: { request: { value: true } },
  positionals: ['log.jsonl'],
};

export const showHelp = `Usage: countersign audit show <log.jsonl> [--request <id>]

Prints the audit log as a timeline, one entry a line: seq, time (UTC), step, and what happened.
With --request, only the entries of that approval request and of the grant it was given.
The chain is verified too; a broken chain is reported after the timeline.

Options:
  --request <id>   only this request, e.g. req_0123456789abcdefghij
  -h, --help       show this help

Exit codes: 0 shown and the chain holds, 1 the chain is broken, 2 usage error, 3 unreadable input
(a file that cannot be read, or a log that is not UTF-8 or starts with a byte order mark).
`;

export async function showCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(showSpec, argv);
  if (args.help) {
    await write(io.stdout, showHelp);
    return ExitCode.Ok;
  }
  const path = args.positionals[0]!;
  const { chain, text: jsonl } = await readAuditLog(path);
  const entries = readEntries(jsonl, path);
  const requestId = single(args, 'request');
  let shown = entries;
  if (requestId !== undefined) {
    const grants = new Set(
      entries.filter((e) => e.requestId === requestId && e.grantId).map((e) => e.grantId),
    );
    shown = entries.filter((e) => e.requestId === requestId || (e.grantId !== null && grants.has(e.grantId)));
    if (shown.length === 0) {
      await write(io.stdout, `no entries for request ${requestId} in ${path}\n`);
    }
  }
  // Read in order over the whole log: an outcome's action is the one its grant's entry holds.
  const reader = new AuditActions();
  const actions = new Map(entries.map((entry) => [entry, reader.read(entry)]));
  for (const entry of shown) await write(io.stdout, `${timelineLine(entry, actions.get(entry) ?? null)}\n`);
  if (!chain.ok) {
    await write(io.stdout, `WARNING: the chain is broken (entry ${chain.brokenAt}): ${chain.problem}\n`);
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}

/** `#seq  time  type  sentence`, columns aligned for the common widths. */
export function timelineLine(entry: AuditEntry, action: RedactedAction | null = entry.action): string {
  const time = Number.isFinite(entry.at) ? new Date(entry.at).toISOString() : String(entry.at);
  return `#${String(entry.seq).padEnd(5)} ${time}  ${entry.type.padEnd(15)} ${describeEntry(entry, action)}`;
}

/** Entries with at least the members the timeline reads; anything else is an input error naming its line. */
function readEntries(jsonl: string, path: string): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const [i, line] of jsonl.split('\n').entries()) {
    if (line.trim().length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw inputError(`${path}:${i + 1} is not JSON`);
    }
    const entry = value as Partial<AuditEntry> | null;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.type !== 'string' ||
      typeof entry.seq !== 'number'
    ) {
      throw inputError(`${path}:${i + 1} is not an audit entry`);
    }
    entries.push({
      action: null,
      actor: null,
      requestId: null,
      grantId: null,
      ruleId: null,
      detail: null,
      ...entry,
    } as AuditEntry);
  }
  return entries;
}
