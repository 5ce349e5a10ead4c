// For channels that receive callbacks: a capped body reader and a node:http adapter over a Fetch handler.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A Web-standard handler, as Slack, Teams and the HTTP API channel expose theirs. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * The raw body of a request (or of a response a client reads), or null once it exceeds `maxBytes`
 * (declared or actual): the cap holds before a byte is parsed, hashed or verified.
 */
export async function readCappedBody(
  request: Pick<Request, 'headers' | 'body'>,
  maxBytes: number,
): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await request.body?.cancel().catch(() => {});
    return null;
  }
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * To the next adapter author: this is all a framework adapter needs to do. Read the raw body
 * (capped: 413 past `maxBytes`), hand a Fetch `Request` to the handler, and write its `Response`
 * back. Nothing here parses or trusts the body; the handler verifies what it must over the exact
 * bytes. A handler that throws is a bare 500.
 */
export function toNodeHandler(
  handle: FetchHandler,
  maxBytes: number,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    serve(handle, maxBytes, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end();
    });
  };
}

async function serve(
  handle: FetchHandler,
  maxBytes: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readNodeBody(req, maxBytes);
  if (body === null) {
    res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end('request body too large');
    return;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const method = req.method ?? 'GET';
  const request = new Request(new URL(req.url ?? '/', 'http://localhost'), {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
  const response = await handle(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}

function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  if (Number(req.headers['content-length'] ?? Number.NaN) > maxBytes) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
