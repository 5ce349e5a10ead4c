// createTerminalTransport's options, and their check: unknown keys and wrong values are ConfigErrors naming the key.
import { ConfigError, type Duration, parseDuration } from '@countersign/core';

export interface TerminalTransportOptions {
  /** Directory identity of the person at this terminal, e.g. `'user:you'`. Every answer is theirs. */
  approver: string;
  /** Where answers are read. Default `process.stdin`. */
  input?: NodeJS.ReadableStream | undefined;
  /** Where requests and prompts are printed. Default `process.stderr`, so stdout stays the program's. */
  output?: NodeJS.WritableStream | undefined;
  /** Whether a person can answer. Default: `input.isTTY`. Without one, every request is denied. */
  isTTY?: boolean | undefined;
  /** Deny when nobody answers within this long, e.g. `'5m'`. Default: wait until the request settles. */
  promptTimeout?: Duration | undefined;
  /** Transport name, unique per countersign instance. Default `'terminal'`. */
  name?: string | undefined;
}

/** Every option, once: the compiler keeps this in step with {@link TerminalTransportOptions}. */
const KNOWN: Readonly<Record<keyof TerminalTransportOptions, true>> = {
  approver: true,
  input: true,
  output: true,
  isTTY: true,
  promptTimeout: true,
  name: true,
};
const KNOWN_KEYS = Object.keys(KNOWN);

/** The options with their defaults applied, the timeout in milliseconds. */
export interface CheckedOptions {
  approver: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  isTTY: boolean;
  promptTimeoutMs: number | null;
  name: string;
}

/** CountersignError puts `[countersign]` in front; the plugin adds its own name. */
function invalid(message: string): never {
  throw new ConfigError(`[terminal] ${message}`);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

export function checkOptions(options: TerminalTransportOptions): CheckedOptions {
  if (!isObject(options) || Array.isArray(options))
    invalid('createTerminalTransport needs an options object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.includes(key)) {
      invalid(`unknown option ${JSON.stringify(key)}; the options are ${KNOWN_KEYS.join(', ')}`);
    }
  }
  if (typeof options.approver !== 'string' || options.approver.length === 0) {
    invalid('approver is required: the directory identity of the person at this terminal');
  }
  const { input = process.stdin, output = process.stderr, isTTY, promptTimeout, name } = options;
  if (!isObject(input) || typeof input.on !== 'function') invalid('input must be a readable stream');
  if (!isObject(output) || typeof output.write !== 'function') invalid('output must be a writable stream');
  if (isTTY !== undefined && typeof isTTY !== 'boolean') invalid('isTTY must be true or false');
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    invalid('name must be a non-empty string');
  }
  let promptTimeoutMs: number | null = null;
  if (promptTimeout !== undefined) {
    promptTimeoutMs = parseDuration(promptTimeout);
    if (promptTimeoutMs === null) {
      const got =
        typeof promptTimeout === 'string' || typeof promptTimeout === 'number'
          ? JSON.stringify(promptTimeout)
          : `a ${typeof promptTimeout}`;
      invalid(`promptTimeout must be a positive duration such as 30000 or '5m', got ${got}`);
    }
  }
  return {
    approver: options.approver,
    input,
    output,
    isTTY: isTTY ?? (input as { isTTY?: boolean }).isTTY === true,
    promptTimeoutMs,
    name: name ?? 'terminal',
  };
}
