// Newline-delimited JSON-RPC framing (MCP's stdio transport), kept as raw bytes so they can be forwarded unchanged.
import type { Readable } from 'node:stream';

/** Largest line kept; a longer one is dropped, since a partial message must never be forwarded. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

export interface LineHandlers {
  /** Each non-empty line's exact bytes, without the newline or a `\r` before it. */
  line(line: Buffer): void;
  /** Each line dropped for its size; its bytes are never kept past the limit. */
  oversize(): void;
  /** The stream failed; no more lines will come. */
  error(error: Error): void;
}

/** Reads `stream` line by line until it ends; the returned function stops reading at once. */
export function readLines(stream: Readable, handlers: LineHandlers): () => void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let dropping = false;
  const onData = (chunk: Buffer | string) => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE)) {
      const head = data.subarray(0, end);
      data = data.subarray(end + 1);
      if (dropping || pendingBytes + head.length > MAX_LINE_BYTES) {
        if (!dropping) handlers.oversize();
        dropping = false;
      } else {
        let line = pending.length === 0 ? head : Buffer.concat([...pending, head]);
        if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        if (line.some((byte) => byte !== 0x20 && byte !== 0x09)) handlers.line(line);
      }
      pending = [];
      pendingBytes = 0;
    }
    if (data.length === 0 || dropping) return;
    if (pendingBytes + data.length > MAX_LINE_BYTES) {
      handlers.oversize();
      dropping = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(data);
    pendingBytes += data.length;
  };
  stream.on('data', onData);
  stream.on('error', handlers.error);
  return () => {
    stream.off('data', onData);
    stream.pause();
    pending = [];
  };
}
