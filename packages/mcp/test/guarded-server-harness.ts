// A guarded McpServer and an SDK client connected in memory, with raw calls that choose their own JSON-RPC id.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { type GuardedServerOptions, guardServer } from '../src/index.js';
import { createHarness, type Harness } from './helpers.js';

export interface Connected extends Harness {
  client: Client;
  clientTransport: InMemoryTransport;
  /** Arguments each handler was called with, by tool. */
  ran: { tool: string; args: unknown }[];
  /** Responses to raw requests sent with `sendRaw`, by id. */
  raw: Map<number, JSONRPCMessage>;
  sendRaw(id: number, name: string, args: Record<string, unknown>): Promise<CallToolResult>;
}

export async function connect(
  options: GuardedServerOptions = { actor: 'agent:bot' },
  setup: { clock?: boolean; authInfo?: AuthInfo } = {},
): Promise<Connected> {
  const harness = createHarness({ clock: setup.clock ?? false });
  const server = new McpServer({ name: 'guarded', version: '1.0.0' });
  const guarded = guardServer(server, harness.cs, options);
  const ran: { tool: string; args: unknown }[] = [];
  for (const tool of ['db__read', 'db__export', 'db__drop']) {
    guarded.registerTool(
      tool,
      { description: `${tool} a table`, inputSchema: { table: z.string() } },
      async (args, _extra, grant) => {
        // The grant is live while the handler runs, for exactly these arguments.
        await harness.cs.grants.consume(grant.token, {
          name: tool.replace('__', '.'),
          params: args,
          sessionId: grant.sessionId,
        });
        ran.push({ tool, args });
        return { content: [{ type: 'text', text: `${tool} ${args.table} done` }] };
      },
    );
  }
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const { authInfo } = setup;
  if (authInfo) {
    const send = clientTransport.send.bind(clientTransport);
    clientTransport.send = (message, opts) => send(message, { ...opts, authInfo });
  }
  await server.connect(serverTransport);
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(clientTransport);

  // Raw calls choose their own JSON-RPC id, as a misbehaving client could; their answers bypass the Client.
  const raw = new Map<number, JSONRPCMessage>();
  const waiters = new Map<number, (message: JSONRPCMessage) => void>();
  const onmessage = clientTransport.onmessage;
  clientTransport.onmessage = (message, extra) => {
    const id = (message as { id?: unknown }).id;
    if (typeof id === 'number' && id >= 1000 && !('method' in message)) {
      raw.set(id, message);
      waiters.get(id)?.(message);
      return;
    }
    onmessage?.(message, extra);
  };
  const sendRaw = async (id: number, name: string, args: Record<string, unknown>) => {
    const answered = new Promise<JSONRPCMessage>((resolve) => waiters.set(id, resolve));
    await clientTransport.send({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: args },
    });
    const message = await answered;
    return (message as unknown as { result: CallToolResult }).result;
  };
  return { ...harness, client, clientTransport, ran, raw, sendRaw };
}
