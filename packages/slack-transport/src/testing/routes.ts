// The emulator's URL map: the Web API under /api/, response URLs under /response/, 404 elsewhere.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseObject, readBody, sendJson } from './http.js';
import { handleResponseUrlPost } from './response-url.js';
import { serveWebApiCall, type WebApiCallContext } from './web-api-call.js';

/** Reads the request body, then hands the request to the endpoint its path names. */
export async function routeRequest(
  request: IncomingMessage,
  response: ServerResponse,
  call: WebApiCallContext,
): Promise<void> {
  const { context } = call;
  const url = new URL(request.url ?? '/', 'http://emulator.invalid');
  const body = await readBody(request);
  const apiMatch = /^\/api\/([^/]+)$/.exec(url.pathname);
  if (apiMatch !== null && (request.method === 'POST' || request.method === 'GET')) {
    await serveWebApiCall(decodeURIComponent(apiMatch[1] ?? ''), url, request, body, response, call);
    return;
  }
  const responseMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
  if (responseMatch !== null && request.method === 'POST') {
    const id = responseMatch[1] ?? '';
    const answer = handleResponseUrlPost(id, body, context);
    context.ledger.responseUrlPosts.push({
      id,
      body: parseObject(body),
      rawBody: body,
      status: answer.status,
      at: context.now(),
    });
    sendJson(response, answer.status, answer.body);
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('Not Found');
}
