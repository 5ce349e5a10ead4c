// An McpServer on this process's stdio for as long as the client keeps its end open, then closed with what runs beside it.
import type { Readable, Writable } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

export interface ServeStdioOptions {
  /**
   * Called once, after the server is closed: close what the process runs beside it (an approval
   * inbox's HTTP listener, a token issuer, `cs.close()`), so that nothing keeps the process alive.
   */
  onClose?: (() => void | Promise<void>) | undefined;
  /** Default `process.stdin`. */
  input?: Readable | undefined;
  /** Default `process.stdout`. */
  output?: Writable | undefined;
}

export interface StdioServing {
  /** Resolves once the server and everything `onClose` closes are closed. */
  readonly closed: Promise<void>;
  /** Closes the server, then calls `onClose` (rejecting with what it throws). Called by itself when the client closes its end. */
  close(): Promise<void>;
}

/**
 * Connects `server` to stdio and closes it when the client closes its end of stdin, as MCP's stdio
 * shutdown begins. The SDK's `StdioServerTransport` does not watch for that: a process that also
 * serves HTTP (an approval inbox) would otherwise outlive its client. Closing the server aborts the
 * tool calls in progress: a guarded call waiting for approval is cancelled (or left pending with
 * `onAbort: 'detach'`).
 */
export async function serveStdio(server: McpServer, options: ServeStdioOptions = {}): Promise<StdioServing> {
  const input = options.input ?? process.stdin;
  const transport = new StdioServerTransport(input, options.output ?? process.stdout);
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      input.off('end', onEnd);
      input.off('close', onEnd);
      try {
        await server.close();
        await options.onClose?.();
      } finally {
        // stdin, paused but open, must not hold the process either.
        if (input === process.stdin) process.stdin.destroy();
        markClosed();
      }
    })();
    return closing;
  };
  const onEnd = () => {
    close().catch((error: unknown) => {
      process.stderr.write(
        `[mcp] closing after the client left failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    });
  };
  input.once('end', onEnd);
  input.once('close', onEnd);
  await server.connect(transport);
  return { closed, close };
}
