// Reading the inbox's form posts: a form's media type, a capped body, this site's origin, no unknown field.
import { readCappedBody } from '@countersign/core';
import { problem } from '../problem.js';

/** The posted form, or the problem answer for a body that is not a form or is too large. */
export async function readForm(request: Request, maxBodyBytes: number): Promise<URLSearchParams | Response> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded(;|$)/i.test(type)) {
    return problem(415, 'unsupported_media_type', 'send a form (application/x-www-form-urlencoded)');
  }
  const body = await readCappedBody(request, maxBodyBytes);
  if (body === null) return problem(413, 'body_too_large', `the body exceeds ${maxBodyBytes} bytes`);
  return new URLSearchParams(new TextDecoder().decode(body));
}

/** Cross-site form posts are refused by origin before the CSRF token is even compared. */
export function sameOrigin(request: Request, publicOrigin: string | null): boolean {
  const origin = request.headers.get('origin');
  if (origin === null) return true;
  return origin === (publicOrigin ?? new URL(request.url).origin);
}

/** The first field of `form` not in `allowed`, or null. */
export function unknownField(form: URLSearchParams, allowed: readonly string[]): string | null {
  for (const key of form.keys()) if (!allowed.includes(key)) return key;
  return null;
}
