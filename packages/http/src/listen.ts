// Serves a fetch handler on node:http and closes it without leaving connections behind.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { checkKeys } from './options.js';
import { applyServerLimits, type ServerLimits, serverLimits, serverOptions } from './server-limits.js';

export interface Listening {
  /** `http://host:port`, without a trailing slash. */
  url: string;
  port: number;
  server: Server;
  /** Stops accepting, waits up to `graceMs` for open requests, then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

export interface ListenOptions {
  /** Default 0: a free port. */
  port?: number | undefined;
  /** Default `'127.0.0.1'`. */
  hostname?: string | undefined;
  /** Timeouts and connection limits; each has a default (see `ServerLimits`). */
  limits?: ServerLimits | undefined;
}

export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: ListenOptions = {},
): Promise<Listening> {
  checkKeys(options, ['port', 'hostname', 'limits'], 'listen options');
  const limits = serverLimits(options.limits);
  const server = createServer(
    serverOptions(limits),
    getRequestListener((request) => fetch(request)),
  );
  applyServerLimits(server, limits);
  const hostname = options.hostname ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    async close(graceMs = 5_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
