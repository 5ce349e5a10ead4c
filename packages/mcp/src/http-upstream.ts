// A guarded MCP server reached over Streamable HTTP, through the SDK's client transport.
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Upstream } from './upstream.js';

export interface HttpUpstream {
  /** The server's MCP endpoint, e.g. `https://mcp.example.com/mcp`. */
  url: string;
  /** Headers sent with every request, e.g. `{ Authorization: 'Bearer …' }`. */
  headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * Connects on the first message. The SDK transport parses and re-serialises messages, so over
 * HTTP the relay is exact in content but not byte for byte; session ids, the protocol version
 * header and the server's event stream are handled as for any SDK client.
 */
export function connectHttpUpstream(spec: HttpUpstream, log: (message: string) => void): Upstream {
  const transport = new StreamableHTTPClientTransport(new URL(spec.url), {
    requestInit: { headers: { ...spec.headers } },
  });
  const listeners: ((raw: Buffer | string) => void)[] = [];
  let markClosed!: (code: number | null) => void;
  const closed = new Promise<number | null>((resolve) => {
    markClosed = resolve;
  });
  transport.onmessage = (message) => {
    const version = (message as { result?: { protocolVersion?: unknown; serverInfo?: unknown } }).result;
    // The relay never calls Client.connect, so it tells the transport the negotiated version itself.
    if (typeof version?.protocolVersion === 'string' && version.serverInfo !== undefined) {
      transport.setProtocolVersion(version.protocolVersion);
    }
    const raw = JSON.stringify(message);
    for (const listener of listeners) listener(raw);
  };
  transport.onerror = (error) => log(`upstream HTTP error: ${error.message}`);
  transport.onclose = () => markClosed(null);
  const started = transport.start();
  started.catch((error: unknown) => {
    log(`could not reach the upstream server: ${error instanceof Error ? error.message : String(error)}`);
    markClosed(null);
  });
  return {
    async send(raw) {
      const message = JSON.parse(raw.toString()) as JSONRPCMessage;
      await started;
      await transport.send(message);
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    closed,
    async close() {
      await transport.close();
      markClosed(null);
    },
  };
}
