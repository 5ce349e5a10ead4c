// Newline-delimited JSON-RPC framing (MCP's stdio transport), kept as raw bytes so they can be forwarded unchanged.
import type { Readable } from 'node:stream';

/** Largest line kept; a longer one is dropped, since a partial message must never be forwarded. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Calls `onLine` with each non-empty line's exact bytes (without the newline, or a `\r` before it),
 * and `onOversize` for each line dropped for its size.
 */
export function readLines(stream: Readable, onLine: (line: Buffer) => void, onOversize: () => void): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let dropping = false;
  stream.on('data', (chunk: Buffer | string) => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE)) {
      const head = data.subarray(0, end);
      data = data.subarray(end + 1);
      if (dropping || pendingBytes + head.length > MAX_LINE_BYTES) {
        if (!dropping) onOversize();
        dropping = false;
      } else {
        let line = pending.length === 0 ? head : Buffer.concat([...pending, head]);
        if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        if (line.some((byte) => byte !== 0x20 && byte !== 0x09)) onLine(line);
      }
      pending = [];
      pendingBytes = 0;
    }
    if (data.length === 0 || dropping) return;
    if (pendingBytes + data.length > MAX_LINE_BYTES) {
      onOversize();
      dropping = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(data);
    pendingBytes += data.length;
  });
}
