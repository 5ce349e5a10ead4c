// The server behind the proxy, as the relay sees it: raw JSON-RPC messages in and out, whatever the transport.

/** One connection to the guarded server. */
export interface Upstream {
  /**
   * Sends one message, exactly these bytes where the transport allows it. Rejects when it could
   * not be handed to the server (the process is gone, the HTTP request failed).
   */
  send(raw: Buffer | string): Promise<void>;
  /** Each message from the server, as raw JSON text. */
  onMessage(listener: (raw: Buffer | string) => void): void;
  /** Settles once the connection is over: the process's exit code, or null. */
  readonly closed: Promise<number | null>;
  /** Ends the connection: for a process, closes its input, then SIGTERM, then SIGKILL, as MCP's stdio shutdown asks. */
  close(): Promise<void>;
}
