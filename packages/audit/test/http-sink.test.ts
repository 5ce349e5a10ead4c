import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { createCheckpointer, httpSink, verifyCheckpoints } from '../src/index.js';
import { allowingCountersign, ed25519, readRows } from './helpers.js';

let server: Server | null = null;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = null;
});

async function endpoint(status: number) {
  const received: { body: string; headers: IncomingHttpHeaders; method: string | undefined }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({ body, headers: req.headers, method: req.method });
      res.statusCode = status;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { received, url: `http://writer:s3cret-pass@127.0.0.1:${port}/checkpoints?token=t0ken` };
}

test('posts each checkpoint as JSON with the configured headers', async () => {
  const { received, url } = await endpoint(201);
  const cs = allowingCountersign();
  const keys = ed25519();
  const checkpointer = createCheckpointer(cs, {
    key: keys.privateKey,
    keyId: 'k',
    sink: httpSink(url, { headers: { authorization: 'Bearer xyz' } }),
  });
  await readRows(cs, 1);
  const checkpoint = await checkpointer.checkpoint();
  await checkpointer.close();
  const basic = createCheckpointer(cs, { key: keys.privateKey, keyId: 'k', sink: httpSink(url) });
  await basic.checkpoint();
  await basic.close();
  expect(received).toHaveLength(2);
  expect(received[0]!.method).toBe('POST');
  expect(received[0]!.headers['content-type']).toBe('application/json');
  expect(received[0]!.headers.authorization).toBe('Bearer xyz');
  expect(received[1]!.headers.authorization).toBe(
    `Basic ${Buffer.from('writer:s3cret-pass').toString('base64')}`,
  );
  expect(JSON.parse(received[0]!.body)).toEqual(checkpoint);
  expect(verifyCheckpoints(await cs.audit.export(), received[0]!.body, { k: keys.publicKey })).toMatchObject({
    ok: true,
  });
  await cs.close();
});

test('a non-2xx answer is a failure whose message hides credentials in the URL', async () => {
  const { url } = await endpoint(503);
  const cs = allowingCountersign();
  const checkpointer = createCheckpointer(cs, { key: ed25519().privateKey, keyId: 'k', sink: httpSink(url) });
  const error = await checkpointer.checkpoint().catch((e: unknown) => e as Error);
  expect(error).toBeInstanceOf(Error);
  const { port } = server!.address() as AddressInfo;
  expect((error as Error).message).toContain(
    `sink "http http://127.0.0.1:${port}/checkpoints" did not accept the checkpoint of seq 0: POST http://127.0.0.1:${port}/checkpoints answered 503`,
  );
  expect((error as Error).message).not.toMatch(/s3cret|t0ken|writer/);
  await checkpointer.close();
  await cs.close();
});

test('an unreachable endpoint fails without throwing into guards', async () => {
  const { url } = await endpoint(200);
  await new Promise((resolve) => server!.close(resolve));
  server = null;
  const cs = allowingCountersign();
  const errors: Error[] = [];
  const checkpointer = createCheckpointer(cs, {
    key: ed25519().privateKey,
    keyId: 'k',
    everyEntries: 1,
    sink: httpSink(url, { timeoutMs: 2_000 }),
    onError: (error) => errors.push(error),
    log: () => {},
  });
  await readRows(cs, 2);
  await checkpointer.close();
  expect(errors.length).toBeGreaterThan(0);
  expect(errors[0]!.message).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/checkpoints failed;/);
  await cs.close();
});

test('a URL that is not http(s) is a configuration error', () => {
  expect(() => httpSink('ftp://example.test/x')).toThrow('[audit] httpSink: url must be http: or https:');
  expect(() => httpSink('not a url')).toThrow('[audit] httpSink: url is not a valid URL');
});
