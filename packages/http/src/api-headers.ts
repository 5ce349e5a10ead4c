// The headers every answer of the server carries: never cached, never sniffed into another type.

/** Sets `X-Content-Type-Options: nosniff`, and `Cache-Control: no-store` unless the answer chose its own. */
export function setAnswerHeaders(headers: Headers): void {
  headers.set('x-content-type-options', 'nosniff');
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
}
