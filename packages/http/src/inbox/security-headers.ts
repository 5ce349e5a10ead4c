// The headers on every inbox answer: a strict CSP, no sniffing, same-origin referrers, no framing.

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Middleware that sets the inbox's security headers on the answer, whatever route gave it. */
export async function securityHeaders(c: { res: Response }, next: () => Promise<void>): Promise<void> {
  await next();
  c.res.headers.set('content-security-policy', CSP);
  c.res.headers.set('x-content-type-options', 'nosniff');
  // Same-origin referrers: with none at all, Chromium sends `Origin: null` on form posts.
  c.res.headers.set('referrer-policy', 'same-origin');
  c.res.headers.set('x-frame-options', 'DENY');
}
