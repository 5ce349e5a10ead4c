// Reading the store for a page: the approver's decidable requests, or the 503 page when it cannot be read.
import type { ApprovalRequest } from '@countersign/core';
import { decidableRequests } from '../pending-requests.js';
import type { InboxDeps } from './inbox-deps.js';
import { messagePage } from './pages.js';
import { page } from './responses.js';
import type { Session } from './sessions.js';
import { pageContext } from './signed-in.js';

/** The page for a store that could not be read: nothing was decided, try again. */
export function storeUnavailable(session: Session): Response {
  return page(
    messagePage(
      pageContext(session),
      'Unavailable',
      'The approval store could not be read. Try again shortly.',
    ),
    503,
  );
}

/** The requests `session`'s approver may decide now, or a 503 page when the store cannot be read. */
export async function decidableOr503(
  deps: InboxDeps,
  session: Session,
): Promise<ApprovalRequest[] | Response> {
  const all = await decidableRequests(deps.store, session.identity, deps.clock.now(), {}, deps.maxScan).catch(
    () => null,
  );
  return all ?? storeUnavailable(session);
}
