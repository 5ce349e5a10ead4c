// The emulator's HTTP server on 127.0.0.1: started once, failures answered 500, closed with its connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TeamsEmulatorError } from './errors.js';

/** Answers one request; a rejection becomes a 500 with the error's message. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export class EmulatorServer {
  #server: Server | undefined;
  #url: string | undefined;
  #closed = false;

  /** `http://127.0.0.1:<port>`. Throws before `listen()` has finished. */
  get url(): string {
    if (this.#url === undefined) throw new TeamsEmulatorError('not started: await emulator.start() first');
    return this.#url;
  }

  /** Throws unless the server has never been started nor closed. */
  assertStartable(): void {
    if (this.#server !== undefined || this.#closed)
      throw new TeamsEmulatorError('start() may be called once');
  }

  async listen(handle: RequestHandler): Promise<void> {
    const server = createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator failure: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
