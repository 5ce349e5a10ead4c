// The pending requests one approver may decide, filtered and paged by an opaque cursor.
import {
  type ApprovalRequest,
  approvalRequestSchema,
  CorruptRecordError,
  decisionProblem,
  type Store,
  StoreError,
} from '@countersign/core';

export interface PendingFilters {
  action?: string | undefined;
  resource?: string | undefined;
  actor?: string | undefined;
  risk?: string | undefined;
}

export interface PendingPage {
  items: ApprovalRequest[];
  nextCursor: string | null;
}

/** Orders like the store's listing (`expiresAt`, then id): soonest deadline first. */
function compare(a: { expiresAt: number; id: string }, b: { expiresAt: number; id: string }): number {
  return a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function encodeCursor(request: { expiresAt: number; id: string }): string {
  return Buffer.from(JSON.stringify([request.expiresAt, request.id])).toString('base64url');
}

/** The position a cursor names, or null when it is not one this API issued. */
export function decodeCursor(cursor: string): { expiresAt: number; id: string } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [expiresAt, id] = value as unknown[];
    if (typeof expiresAt !== 'number' || typeof id !== 'string') return null;
    return { expiresAt, id };
  } catch {
    return null;
  }
}

/** Every pending request (up to `maxScan`) that `approver` may decide now. */
export async function decidableRequests(
  store: Store,
  approver: string,
  now: number,
  filters: PendingFilters,
  maxScan: number,
): Promise<ApprovalRequest[]> {
  let raw: ApprovalRequest[];
  try {
    raw = await store.listRequests({ status: 'pending', limit: maxScan });
  } catch (error) {
    throw new StoreError('listRequests', error);
  }
  const result: ApprovalRequest[] = [];
  for (const record of raw) {
    const parsed = approvalRequestSchema.safeParse(record);
    if (!parsed.success) throw new CorruptRecordError('approval request', [parsed.error.message]);
    const request = parsed.data;
    if (decisionProblem(request, approver, now) !== null) continue;
    if (filters.action !== undefined && request.action.name !== filters.action) continue;
    if (filters.resource !== undefined && request.action.resource !== filters.resource) continue;
    if (filters.actor !== undefined && request.actor !== filters.actor) continue;
    if (filters.risk !== undefined && request.risk !== filters.risk) continue;
    result.push(request);
  }
  return result.sort(compare);
}

export function pageOf(
  requests: readonly ApprovalRequest[],
  after: { expiresAt: number; id: string } | null,
  limit: number,
): PendingPage {
  const start = after === null ? 0 : requests.findIndex((r) => compare(r, after) > 0);
  const rest = start < 0 ? [] : requests.slice(start);
  const items = rest.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rest.length > limit && last !== undefined ? encodeCursor(last) : null };
}
