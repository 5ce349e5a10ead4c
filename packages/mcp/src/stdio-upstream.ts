// The MCP server the proxy guards, run as a child process speaking MCP over its stdin and stdout.
import { spawn } from 'node:child_process';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readLines } from './json-lines.js';
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
  readLines(
    child.stdout,
    (line) => {
      for (const listener of listeners) listener(line);
    },
    () => log('dropped a server message larger than 16 MiB'),
  );
  const closed = new Promise<number | null>((resolve) => {
    child.on('error', (error) => {
      log(`could not run the upstream server: ${error.message}`);
      resolve(null);
    });
    child.on('exit', (code) => resolve(code));
  });
  return {
    send(raw) {
      if (!child.stdin.writable) return;
      child.stdin.write(typeof raw === 'string' ? `${raw}\n` : Buffer.concat([raw, Buffer.from('\n')]));
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    closed,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end();
        child.kill('SIGTERM');
      }
      await closed;
    },
  };
}
