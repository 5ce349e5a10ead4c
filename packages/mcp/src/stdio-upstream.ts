// The MCP server the proxy guards, run as a child process speaking MCP over its stdin and stdout.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

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

export type UpstreamProcess = ChildProcessByStdio<Writable, Readable, null>;

/** Starts the server; its stderr is the proxy's, so its logs stay visible and off the MCP stream. */
export function spawnUpstream(upstream: StdioUpstream): UpstreamProcess {
  const env: Record<string, string> = { ...getDefaultEnvironment() };
  for (const name of upstream.passEnv ?? []) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, upstream.env);
  return spawn(upstream.command, [...(upstream.args ?? [])], {
    env,
    cwd: upstream.cwd,
    stdio: ['pipe', 'pipe', 'inherit'],
    shell: false,
    windowsHide: true,
  });
}
