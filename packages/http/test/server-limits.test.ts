import { connect, type Socket } from 'node:net';
import { createMemoryStore } from '@countersign/memory-store';
import { afterEach, describe, expect, test } from 'vitest';
import {
  createApprovalServer,
  type Listening,
  listen,
  type ServerLimits,
  silentLogger,
} from '../src/index.js';
import { AUDIENCE, ISSUER } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Everything the server sends on `socket` until it closes the connection. */
function untilClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  return new Promise((resolve) => {
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

function opened(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends headers announcing a body, then one byte of it at a time, until the server hangs up. */
async function trickle(url: string, path = '/'): Promise<string> {
  const socket = await opened(url);
  const closed = untilClosed(socket);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n`,
  );
  const timer = setInterval(() => socket.write(' '), 20);
  const received = await closed;
  clearInterval(timer);
  return received;
}

async function served(limits: ServerLimits): Promise<Listening> {
  const server = await listen(
    async (request) => {
      await request.arrayBuffer();
      return new Response('read');
    },
    { limits },
  );
  cleanups.push(() => server.close(100));
  return server;
}

describe('server limits', () => {
  test('a body trickled byte by byte is cut off with 408 at the request timeout', async () => {
    const server = await served({ headersTimeoutMs: 100, requestTimeoutMs: 300 });
    expect(await trickle(server.url)).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('headers never finished are cut off with 408 at the headers timeout', async () => {
    const server = await served({ headersTimeoutMs: 150, requestTimeoutMs: 10_000 });
    const socket = await opened(server.url);
    const closed = untilClosed(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 20);
    const received = await closed;
    clearInterval(timer);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('a connection beyond maxConnections is closed unanswered; the open one still works', async () => {
    const server = await served({ maxConnections: 1 });
    const first = await opened(server.url);
    cleanups.push(async () => void first.destroy());
    // Wait until the server has accepted the first, so the second is the one over the limit.
    while ((await new Promise<number>((r) => server.server.getConnections((_, n) => r(n)))) < 1) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const second = connect(server.port, '127.0.0.1');
    const refused = await untilClosed(second);
    expect(refused).toBe('');
    const answer = untilClosed(first);
    first.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  test('the app never sees more than maxHeadersCount headers, and a large header section is 431', async () => {
    let seen = 0;
    const server = await listen(
      (request) => {
        seen = [...request.headers.keys()].length;
        return new Response('ok');
      },
      { limits: { maxHeadersCount: 20, maxHeaderBytes: 2048 } },
    );
    cleanups.push(() => server.close(100));
    expect((await fetch(server.url, { headers: { 'x-one': '1' } })).status).toBe(200);
    seen = 0;
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x-h${i}`, '1']));
    const crowded = await fetch(server.url, { headers: many });
    // Node 24 refuses the request; older versions drop the headers past the count.
    if (crowded.status !== 431) expect(seen).toBeLessThanOrEqual(20);
    expect((await fetch(server.url, { headers: { 'x-big': 'a'.repeat(4096) } })).status).toBe(431);
  });

  test('the approval server listens with its configured limits', async () => {
    const server = await createApprovalServer(
      {
        port: 0,
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: 'http://127.0.0.1:9/jwks' },
        sweepSeconds: 0,
        limits: { headersTimeoutMs: 100, requestTimeoutMs: 300 },
      },
      { store: createMemoryStore(), logger: silentLogger },
    );
    cleanups.push(() => server.close());
    const url = await server.listen();
    expect(await trickle(url, '/requests/req_x/decisions')).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('limits are checked: unknown keys, non-positive values, a headers timeout past the request timeout', async () => {
    const handler = () => new Response('ok');
    await expect(listen(handler, { limits: { bodyTimeoutMs: 5 } as never })).rejects.toThrow(
      /unknown option "bodyTimeoutMs" in limits/,
    );
    await expect(listen(handler, { limits: { maxConnections: 0 } })).rejects.toThrow(
      /limits.maxConnections must be a positive integer/,
    );
    await expect(
      listen(handler, { limits: { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 } }),
    ).rejects.toThrow(/headersTimeoutMs \(5000\) must not exceed/);
    await expect(listen(handler, { timeoutMs: 5 } as never)).rejects.toThrow(/unknown option "timeoutMs"/);
    await expect(
      createApprovalServer(
        {
          oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: 'http://127.0.0.1:9/jwks' },
          limits: { requestTimeoutMs: -1 },
        },
        { store: createMemoryStore(), logger: silentLogger },
      ),
    ).rejects.toThrow(/limits.requestTimeoutMs/);
  });
});
