// countersign audit verify: checks an exported log's chain and, optionally, signed checkpoints.
import { basename } from 'node:path';
import { type KeyInput, verifyCheckpoints } from '@countersign/audit';
import { isCountersignError, type VerifyResult } from '@countersign/core';
import { type CommandSpec, parseArgs, single } from '../args.js';
import { ExitCode, inputError, usageError } from '../exit-codes.js';
import { type Io, write } from '../io.js';
import { readText } from '../read-input.js';
import { readAuditLog } from '../read-log.js';

export const verifySpec: CommandSpec = {
  name: 'audit verify',
  flags: {
    checkpoints: { value: true },
    key: { value: true, repeat: true },
    origin: { value: true },
    'max-gap': { value: true },
    'allow-pruned': { value: false },
  },
  positionals: ['log.jsonl'],
};

export const verifyHelp = `Usage: countersign audit verify <log.jsonl> [--checkpoints <file>] [--key [<id>=]<public.pem>]...
                                                [--origin <o>] [--max-gap <n>] [--allow-pruned]

Verifies the SHA-256 hash chain of an exported audit log (JSON lines, as cs.audit.export()
writes, format: docs/audit-format.md), then every signed checkpoint in <file> against it.
The log must be UTF-8 without a byte order mark: no byte is replaced or skipped.

Options:
  --allow-pruned         accept a log whose oldest entries were pruned (it starts after seq 1;
                         its first prevHash cannot be checked). Not with --checkpoints
  --checkpoints <file>   checkpoints, one JSON line each (as fileSink writes them)
  --key [<id>=]<pem>     a trusted Ed25519 public key (SPKI PEM); repeat for rotated keys.
                         Without <id>=, the key id is the file name without .pem or .pub
  --origin <origin>      require every checkpoint to name this origin
  --max-gap <n>          fail when more than n entries lie between checkpoints or after the last
  -h, --help             show this help

Exit codes: 0 everything holds, 1 verification failed, 2 usage error, 3 unreadable input
(a file that cannot be read, or a log that is not UTF-8 or starts with a byte order mark).
`;

export async function verifyCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(verifySpec, argv);
  if (args.help) {
    await write(io.stdout, verifyHelp);
    return ExitCode.Ok;
  }
  const logPath = args.positionals[0]!;
  const checkpointsPath = single(args, 'checkpoints');
  const keyArgs = args.flags.get('key') ?? [];
  if (checkpointsPath !== undefined && keyArgs.length === 0) {
    throw usageError('--checkpoints needs at least one --key to check signatures against');
  }
  if (checkpointsPath === undefined && keyArgs.length > 0)
    throw usageError('--key is only used with --checkpoints');
  const maxGap = parseMaxGap(single(args, 'max-gap'));
  const origin = single(args, 'origin');
  const allowPruned = args.flags.has('allow-pruned');
  if (allowPruned && checkpointsPath !== undefined) {
    throw usageError('--allow-pruned cannot be used with --checkpoints, which cover a log from seq 1');
  }

  const { chain, text: jsonl } = await readAuditLog(logPath, { allowPruned });
  if (!chain.ok) {
    await write(io.stdout, `FAIL chain ${logPath}: ${chain.problem}\n${badLine(jsonl, chain)}`);
    return ExitCode.Failed;
  }
  await write(io.stdout, `ok   chain ${logPath}: ${chain.entries} entries, ${span(chain)}\n`);
  if (checkpointsPath === undefined) {
    await write(
      io.stdout,
      'not checked: checkpoints (pass --checkpoints and --key to detect a rewritten or truncated log)\n',
    );
    return ExitCode.Ok;
  }
  const keys: Record<string, KeyInput> = {};
  for (const arg of keyArgs) {
    const eq = arg.indexOf('=');
    const path = eq === -1 ? arg : arg.slice(eq + 1);
    const id = eq === -1 ? basename(path).replace(/\.(pem|pub)$/, '') : arg.slice(0, eq);
    if (id in keys) throw usageError(`two --key options name key id "${id}"`);
    keys[id] = await readText(path, `public key "${id}" from`);
  }
  const checkpoints = await readText(checkpointsPath, 'checkpoints');
  let result: ReturnType<typeof verifyCheckpoints>;
  try {
    result = verifyCheckpoints(jsonl, checkpoints, keys, { origin, maxGap });
  } catch (error) {
    if (isCountersignError(error, 'invalid_config'))
      throw inputError(error.message.replace(/^\[countersign\] \[audit\] /, ''));
    throw error;
  }
  if (!result.ok) {
    const at =
      result.line === null
        ? ''
        : `\n  ${checkpointsPath}:${result.line}: ${lineOf(checkpoints, result.line)}`;
    await write(io.stdout, `FAIL checkpoints ${checkpointsPath}: ${result.reason}${at}\n`);
    return ExitCode.Failed;
  }
  if (result.checkpoints === 0 && result.entries > 0) {
    await write(
      io.stdout,
      `FAIL checkpoints ${checkpointsPath}: no checkpoint in the file, so nothing vouches for the log\n`,
    );
    return ExitCode.Failed;
  }
  const signers = result.keyIds.length === 0 ? '' : `, signed by ${result.keyIds.join(', ')}`;
  const uncovered =
    result.uncovered === 0
      ? 'every entry covered'
      : `${result.uncovered} newest entries not yet covered by a checkpoint`;
  await write(
    io.stdout,
    `ok   checkpoints ${checkpointsPath}: ${result.checkpoints} checked${signers}; newest covers seq ${result.coveredSeq}; ${uncovered}; largest gap ${result.largestGap} entries\n`,
  );
  return ExitCode.Ok;
}

function parseMaxGap(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw usageError(`--max-gap must be a whole number ≥ 0, not "${value}"`);
  return n;
}

/** Which seqs a verified log holds, and its head. */
function span(chain: Extract<VerifyResult, { ok: true }>): string {
  if (chain.head === null) return 'empty log';
  const first = chain.head.seq - chain.entries + 1;
  const pruned = first === 1 ? '' : ' (pruned: the first prevHash is not checked)';
  return `seq ${first}-${chain.head.seq}${pruned}, head ${chain.head.hash}`;
}

/** The line at fault, as the file has it. */
function badLine(jsonl: string, chain: Extract<VerifyResult, { ok: false }>): string {
  if (chain.line === undefined) return '  (after the last line)\n';
  return `  line ${chain.line}: ${lineOf(jsonl, chain.line)}\n`;
}

function lineOf(text: string, line: number): string {
  return clip(text.split('\n')[line - 1] ?? '');
}

function clip(line: string): string {
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
