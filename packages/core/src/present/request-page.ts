// Where a request is shown whole: its page in the web inbox, which channels link to when they cut.

/**
 * The inbox page that shows `requestId` whole and lets a person decide it, on the approval server
 * reachable at `publicUrl` (the `@countersign/http` option of that name).
 */
export function inboxRequestUrl(publicUrl: string, requestId: string): string {
  return new URL(
    `inbox/requests/${encodeURIComponent(requestId)}`,
    publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`,
  ).href;
}
