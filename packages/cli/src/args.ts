// Parses a command's flags and positional arguments; unknown flags are errors with a suggestion.
import { didYouMean } from './did-you-mean.js';
import { usageError } from './exit-codes.js';

export interface FlagSpec {
  /** Takes a value (`--schema s` or `--schema=s`); otherwise a switch. */
  value: boolean;
  /** May be given more than once. */
  repeat?: boolean | undefined;
}

export interface CommandSpec {
  /** As typed, e.g. `'audit verify'`. */
  name: string;
  flags: Readonly<Record<string, FlagSpec>>;
  /** Names of required positional arguments, in order. */
  positionals: readonly string[];
}

export interface ParsedArgs {
  flags: Map<string, string[]>;
  positionals: string[];
  help: boolean;
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg : arg.slice(0, eq)).replace(/^--?/, '');
    const flag = spec.flags[name];
    if (flag === undefined || !arg.startsWith('--')) {
      const known = Object.keys(spec.flags);
      const guess = didYouMean(name, known);
      const hint = guess
        ? `; did you mean --${guess}?`
        : known.length > 0
          ? `; known flags: ${known.map((k) => `--${k}`).join(', ')}`
          : '';
      throw usageError(`unknown flag ${arg.slice(0, eq === -1 ? undefined : eq)} for '${spec.name}'${hint}`);
    }
    let value = 'true';
    if (flag.value) {
      if (eq !== -1) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw usageError(`--${name} needs a value`);
        value = next;
        i++;
      }
    } else if (eq !== -1) {
      throw usageError(`--${name} takes no value`);
    }
    const values = flags.get(name) ?? [];
    if (values.length > 0 && !flag.repeat) throw usageError(`--${name} is given twice`);
    values.push(value);
    flags.set(name, values);
  }
  if (!help) {
    const missing = spec.positionals.slice(positionals.length);
    if (missing.length > 0) throw usageError(`'${spec.name}' needs <${missing.join('> <')}>`);
    if (positionals.length > spec.positionals.length) {
      throw usageError(`unexpected argument "${positionals[spec.positionals.length]}" for '${spec.name}'`);
    }
  }
  return { flags, positionals, help };
}

export function single(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function required(args: ParsedArgs, spec: CommandSpec, name: string): string {
  const value = single(args, name);
  if (value === undefined) throw usageError(`'${spec.name}' needs --${name}`);
  return value;
}
