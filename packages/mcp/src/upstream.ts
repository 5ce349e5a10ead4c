// The server behind the proxy, as the relay sees it: raw JSON-RPC messages in and out, whatever the transport.

/** One connection to the guarded server. */
export interface Upstream {
  /** Sends one message, exactly these bytes where the transport allows it. */
  send(raw: Buffer | string): void;
  /** Each message from the server, as raw JSON text. */
  onMessage(listener: (raw: Buffer | string) => void): void;
  /** Settles once the connection is over: the process's exit code, or null. */
  readonly closed: Promise<number | null>;
  close(): Promise<void>;
}
