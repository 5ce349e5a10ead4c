// Runs the proxy in this process in front of the fixture server, with a client on in-memory streams.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { type McpProxy, type McpProxyOptions, startMcpProxy } from '../src/index.js';
import { createHarness, type Harness } from './helpers.js';

export const FIXTURE = fileURLToPath(new URL('./fixtures/upstream-server.mjs', import.meta.url));

export interface ProxyHarness extends Harness {
  proxy: McpProxy;
  toProxy: PassThrough;
  /** Every line the proxy wrote to the client, as text. */
  lines: string[];
  /** Resolves with the next line the proxy writes that satisfies `match`. */
  nextLine(match: (line: string) => boolean): Promise<string>;
  /** Tool calls the upstream server received, in order. */
  received(): { name: string; args: unknown }[];
  client(): Promise<Client>;
}

export function fixtureLog(): string {
  return join(mkdtempSync(join(tmpdir(), 'cs-mcp-')), 'calls.jsonl');
}

export function readCalls(log: string): { name: string; args: unknown }[] {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

export function startProxyHarness(options: Partial<McpProxyOptions> = {}): ProxyHarness {
  const harness = createHarness();
  const log = fixtureLog();
  const toProxy = new PassThrough();
  const fromProxy = new PassThrough();
  const lines: string[] = [];
  const watchers: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let partial = '';
  fromProxy.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    for (let end = partial.indexOf('\n'); end !== -1; end = partial.indexOf('\n')) {
      const line = partial.slice(0, end);
      partial = partial.slice(end + 1);
      lines.push(line);
      for (const watcher of watchers.splice(0)) {
        if (watcher.match(line)) watcher.resolve(line);
        else watchers.push(watcher);
      }
    }
  });
  const proxy = startMcpProxy({
    countersign: harness.cs,
    upstream: { command: process.execPath, args: [FIXTURE], env: { FIXTURE_LOG: log } },
    serverName: 'fixture',
    actor: 'agent:desktop',
    input: toProxy,
    output: fromProxy,
    log: () => {},
    ...options,
  });
  return {
    ...harness,
    proxy,
    toProxy,
    lines,
    nextLine: (match) =>
      new Promise((resolve) => {
        const found = lines.find(match);
        if (found !== undefined) resolve(found);
        else watchers.push({ match, resolve });
      }),
    received: () => readCalls(log),
    client: async () => {
      const client = new Client({ name: 'test-client', version: '1.0.0' });
      await client.connect(streamTransport(toProxy, fromProxy));
      return client;
    },
  };
}

/** A client transport over two streams, framed as MCP's stdio transport frames messages. */
function streamTransport(output: PassThrough, input: PassThrough): Transport {
  const buffer = new ReadBuffer();
  const transport: Transport = {
    async start() {
      input.on('data', (chunk: Buffer) => {
        buffer.append(chunk);
        for (let message = buffer.readMessage(); message !== null; message = buffer.readMessage()) {
          transport.onmessage?.(message);
        }
      });
    },
    async send(message: JSONRPCMessage) {
      output.write(serializeMessage(message));
    },
    async close() {
      output.end();
      transport.onclose?.();
    },
  };
  return transport;
}
