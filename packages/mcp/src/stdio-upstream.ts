// The MCP server the proxy guards, run as a child process speaking MCP over its stdin and stdout.
import { spawn } from 'node:child_process';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MAX_LINE_BYTES, readLines } from './json-lines.js';
import type { Upstream } from './upstream.js';

export interface StdioUpstream {
  command: string;
  args?: readonly string[] | undefined;
  /** Extra environment variables for the server. */
  env?: Readonly<Record<string, string>> | undefined;
  /**
   * Names of the proxy's own environment variables to pass on. Only these and the SDK's safe
   * defaults (PATH, HOME, …) reach the server, so the proxy's secrets (Slack token, database URL) do not.
   */
  passEnv?: readonly string[] | undefined;
  cwd?: string | undefined;
}

/** How long a server has to exit after its input closes, and then after SIGTERM. */
const SHUTDOWN_GRACE_MS = 2_000;

/** Starts the server; its stderr is the proxy's, so its logs stay visible and off the MCP stream. */
export function connectStdioUpstream(spec: StdioUpstream, log: (message: string) => void): Upstream {
  const env: Record<string, string> = { ...getDefaultEnvironment() };
  for (const name of spec.passEnv ?? []) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, spec.env);
  const child = spawn(spec.command, [...(spec.args ?? [])], {
    env,
    cwd: spec.cwd,
    stdio: ['pipe', 'pipe', 'inherit'],
    shell: false,
    windowsHide: true,
  });
  const listeners: ((raw: Buffer | string) => void)[] = [];
  // A server that dies makes writes to it fail (EPIPE): reported, never thrown at the relay.
  child.stdin.on('error', (error) => log(`could not write to the upstream server: ${error.message}`));
  readLines(child.stdout, {
    line: (line) => {
      for (const listener of listeners) listener(line);
    },
    oversize: () => log(`dropped a server message larger than ${MAX_LINE_BYTES / 1024 / 1024} MiB`),
    error: (error) => log(`could not read from the upstream server: ${error.message}`),
  });
  const closed = new Promise<number | null>((resolve) => {
    child.on('error', (error) => {
      log(`could not run the upstream server: ${error.message}`);
      resolve(null);
    });
    child.on('exit', (code) => resolve(code));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    send(raw) {
      return new Promise((resolve, reject) => {
        if (!running() || !child.stdin.writable) return reject(new Error('the server is not running'));
        const line = typeof raw === 'string' ? `${raw}\n` : Buffer.concat([raw, Buffer.from('\n')]);
        child.stdin.write(line, (error) => (error ? reject(error) : resolve()));
      });
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    closed,
    async close() {
      if (!running()) return void (await closed);
      child.stdin.end();
      const term = setTimeout(() => child.kill('SIGTERM'), SHUTDOWN_GRACE_MS);
      const kill = setTimeout(() => child.kill('SIGKILL'), 2 * SHUTDOWN_GRACE_MS);
      try {
        await closed;
      } finally {
        clearTimeout(term);
        clearTimeout(kill);
      }
    },
  };
}
