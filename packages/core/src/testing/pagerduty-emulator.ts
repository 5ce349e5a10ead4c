// A local emulator of the PagerDuty REST API's GET /oncalls, for testing on-call escalation without the network.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One on-call entry as the emulator holds it. */
export interface EmulatedOnCall {
  user: { id: string; summary: string; email: string };
  escalationPolicyId: string;
  scheduleId: string | null;
  escalationLevel: number;
  /** ISO instants; null: always. */
  start: string | null;
  end: string | null;
}

export interface PagerDutyEmulator {
  /** `http://127.0.0.1:<port>`, for `createPagerDutyOnCall({ baseUrl })`. */
  readonly url: string;
  /** Every request seen: path and query, and whether its token was right. */
  readonly requests: { path: string; query: URLSearchParams; authorized: boolean }[];
  /** Replaces who is on call. */
  setOnCalls(oncalls: readonly EmulatedOnCall[]): void;
  close(): Promise<void>;
}

/**
 * Serves `GET /oncalls` as PagerDuty documents it: `escalation_policy_ids[]`, `schedule_ids[]`,
 * `since`/`until` (entries overlapping the range), `include[]=users` (full user objects, else
 * references), `limit`/`offset`/`more` paging, 401 without the token. On 127.0.0.1 only.
 */
export async function startPagerDutyEmulator(options: {
  token: string;
  oncalls?: readonly EmulatedOnCall[] | undefined;
}): Promise<PagerDutyEmulator> {
  let oncalls = [...(options.oncalls ?? [])];
  const requests: PagerDutyEmulator['requests'] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const authorized = request.headers.authorization === `Token token=${options.token}`;
    requests.push({ path: url.pathname, query: url.searchParams, authorized });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET' || url.pathname !== '/oncalls')
      return send(404, { error: { message: 'Not Found', code: 2100 } });
    if (!authorized) return send(401, { error: { message: 'Unauthenticated', code: 2006 } });
    const query = url.searchParams;
    const policies = query.getAll('escalation_policy_ids[]');
    const schedules = query.getAll('schedule_ids[]');
    const since = Date.parse(query.get('since') ?? '') || Date.now();
    const until = Date.parse(query.get('until') ?? '') || since;
    const withUsers = query.getAll('include[]').includes('users');
    const limit = Math.min(Number(query.get('limit') ?? 25) || 25, 100);
    const offset = Number(query.get('offset') ?? 0) || 0;
    const matching = oncalls.filter(
      (entry) =>
        (policies.length === 0 || policies.includes(entry.escalationPolicyId)) &&
        (schedules.length === 0 || (entry.scheduleId !== null && schedules.includes(entry.scheduleId))) &&
        (entry.start === null || Date.parse(entry.start) <= until) &&
        (entry.end === null || Date.parse(entry.end) > since),
    );
    const page = matching.slice(offset, offset + limit).map((entry) => ({
      escalation_policy: { id: entry.escalationPolicyId, type: 'escalation_policy_reference' },
      escalation_level: entry.escalationLevel,
      schedule: entry.scheduleId === null ? null : { id: entry.scheduleId, type: 'schedule_reference' },
      user: withUsers
        ? {
            id: entry.user.id,
            type: 'user',
            summary: entry.user.summary,
            name: entry.user.summary,
            email: entry.user.email,
          }
        : { id: entry.user.id, type: 'user_reference', summary: entry.user.summary },
      start: entry.start,
      end: entry.end,
    }));
    send(200, { oncalls: page, limit, offset, more: offset + limit < matching.length, total: null });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setOnCalls(next) {
      oncalls = [...next];
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
