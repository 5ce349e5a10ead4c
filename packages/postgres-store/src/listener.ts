// NotificationListener: one LISTEN connection per store, fanning other processes' request changes, and this store's own, out to subscribers.
import pg from 'pg';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * One dedicated connection (never a pooled one: LISTEN belongs to a session) that LISTENs on
 * the store's channel and fans notifications out to subscribers. When the connection drops it
 * reconnects with exponential backoff; notifications sent meanwhile are lost, which is why
 * core also polls. Like the connection it replaces, the retry timer keeps the process alive
 * until `close()`: a waiting agent must not exit just because the database restarted.
 */
export class NotificationListener {
  private readonly subscribers = new Set<(requestId: string) => void>();
  private client: pg.Client | null = null;
  private running = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private firstAttempt: Promise<void> | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly report: (error: unknown) => void,
    /** Whether a NOTIFY came from this store's own connection: its echo is dropped, see `deliver()`. */
    private readonly own: (backendPid: number) => boolean,
  ) {}

  /**
   * A change this store's own write made, handed to subscribers in process once it committed,
   * instead of waiting for its NOTIFY to come back through the server (which is dropped).
   */
  deliver(requestIds: readonly string[]): void {
    for (const id of requestIds) this.fanOut(id);
  }

  /**
   * Resolves once the first LISTEN succeeded or failed; after a failure it keeps retrying in
   * the background, so a database that is down at startup only delays notifications.
   */
  async subscribe(listener: (requestId: string) => void): Promise<() => Promise<void>> {
    this.subscribers.add(listener);
    if (!this.running) {
      this.running = true;
      this.firstAttempt = this.connect();
    }
    await this.firstAttempt;
    return async () => {
      this.subscribers.delete(listener);
      if (this.subscribers.size === 0) await this.stop();
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.firstAttempt = null;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('error', (error) => {
      this.report(error);
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload || this.own(message.processId)) return;
      this.fanOut(message.payload);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
      this.failures = 0;
    } catch (error) {
      this.report(error);
      this.drop(client);
    }
    // stop() may have run while we were connecting.
    if (!this.running && this.client === null) await client.end().catch(() => {});
  }

  private fanOut(requestId: string): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(requestId);
      } catch (error) {
        this.report(error);
      }
    }
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => {});
    if (!this.running) return;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures) * (0.5 + Math.random() / 2);
    this.failures += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.running) void this.connect();
    }, delay);
  }
}
