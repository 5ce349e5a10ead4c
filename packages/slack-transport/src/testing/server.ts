// The emulator's HTTP server: listening on 127.0.0.1, and what close() must stop (delays, deliveries).
import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlackEmulatorError } from './errors.js';

/** Answers one request; a rejection becomes a 500 (or a dropped connection once headers are out). */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * Owns the listening server and everything in flight that `close()` must end: injected delays are
 * released and interaction deliveries to the app are aborted, so no test waits on a closed emulator.
 */
export class EmulatorServer {
  readonly #pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  readonly #outgoing = new Set<ClientRequest>();
  #server: Server | undefined;
  #url: string | undefined;
  #closed = false;

  /** `http://127.0.0.1:<port>`. Throws before `start()`. */
  get url(): string {
    if (this.#url === undefined) throw new SlackEmulatorError('not started: await emulator.start() first');
    return this.#url;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async start(handle: RequestHandler): Promise<void> {
    if (this.#server !== undefined || this.#closed) {
      throw new SlackEmulatorError('start() may be called once per emulator');
    }
    const server = createServer((request, response) => {
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          response.end(`emulator failure: ${error instanceof Error ? error.message : String(error)}`);
        } else {
          response.destroy();
        }
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
    const { port } = server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pendingDelays) {
      clearTimeout(pending.timer);
      pending.resolve();
    }
    this.#pendingDelays.clear();
    for (const request of this.#outgoing) request.destroy(new SlackEmulatorError('emulator closed'));
    this.#outgoing.clear();
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error === undefined ? resolve() : reject(error)));
      server.closeAllConnections();
    });
  }

  /** Registers an outgoing request so that `close()` aborts it; returns its unregistration. */
  track(request: ClientRequest): () => void {
    if (this.#closed) request.destroy(new SlackEmulatorError('emulator closed'));
    this.#outgoing.add(request);
    return () => this.#outgoing.delete(request);
  }

  /** Waits `ms`, or less if the emulator closes first. */
  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const pending = {
        timer: setTimeout(() => {
          this.#pendingDelays.delete(pending);
          resolve();
        }, ms),
        resolve,
      };
      this.#pendingDelays.add(pending);
    });
  }
}
