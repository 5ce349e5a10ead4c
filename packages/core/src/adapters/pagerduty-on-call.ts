// An on-call resolver on the PagerDuty REST API's GET /oncalls: who is on call now for an escalation policy or schedule.
import type { OnCallResolver } from '../contracts/on-call.js';

/** A user as `GET /oncalls?include[]=users` returns it; without the include, only `id` and `summary`. */
export interface PagerDutyUser {
  id: string;
  summary?: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
}

export interface PagerDutyOnCallOptions {
  /** A REST API key, sent as `Authorization: Token token=…`; never logged or put in errors. */
  token: string;
  /** Default `https://api.pagerduty.com`; a local emulator in tests. */
  baseUrl?: string | undefined;
  /**
   * The directory identity of an on-call user, as your transports name approvers; null skips them.
   * Default: `user:` and their email.
   */
  identityOf?: ((user: PagerDutyUser) => string | null) | undefined;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch | undefined;
}

const TARGET = /^(escalation_policy|schedule):([A-Za-z0-9]{1,64})$/;
const PAGE = 100;
const MAX_PAGES = 20;

/**
 * Resolves `'escalation_policy:<id>'` or `'schedule:<id>'` to the identities on call at that
 * instant: for an escalation policy, the users at its first escalation level that has anyone.
 */
export function createPagerDutyOnCall(options: PagerDutyOnCallOptions): OnCallResolver {
  const baseUrl = (options.baseUrl ?? 'https://api.pagerduty.com').replace(/\/+$/, '');
  const identityOf =
    options.identityOf ?? ((user: PagerDutyUser) => (user.email ? `user:${user.email}` : null));
  const fetcher = options.fetch ?? fetch;
  return {
    name: 'pagerduty',
    async resolve(target, at, { signal }) {
      const parsed = TARGET.exec(target);
      if (parsed === null) {
        throw new Error(
          `[countersign] [pagerduty] on-call target ${JSON.stringify(target)} must be escalation_policy:<id> or schedule:<id>`,
        );
      }
      const [, kind, id] = parsed as unknown as [string, string, string];
      const oncalls: { escalation_level?: unknown; user?: unknown }[] = [];
      for (let page = 0; page < MAX_PAGES; page++) {
        const query = new URLSearchParams();
        query.append(`${kind}_ids[]`, id);
        query.append('include[]', 'users');
        query.set('since', new Date(at).toISOString());
        query.set('until', new Date(at + 1_000).toISOString());
        query.set('limit', String(PAGE));
        query.set('offset', String(page * PAGE));
        const response = await fetcher(`${baseUrl}/oncalls?${query}`, {
          headers: {
            Accept: 'application/vnd.pagerduty+json;version=2',
            Authorization: `Token token=${options.token}`,
          },
          signal,
        });
        if (!response.ok)
          throw new Error(`[countersign] [pagerduty] GET /oncalls answered ${response.status}`);
        const body = (await response.json()) as { oncalls?: unknown; more?: unknown };
        if (!Array.isArray(body.oncalls))
          throw new Error('[countersign] [pagerduty] GET /oncalls returned no oncalls list');
        oncalls.push(...body.oncalls);
        if (body.more !== true) break;
      }
      const levels = oncalls
        .map((oncall) => (typeof oncall.escalation_level === 'number' ? oncall.escalation_level : 1))
        .sort((a, b) => a - b);
      const first = kind === 'escalation_policy' ? levels[0] : undefined;
      const identities = new Set<string>();
      for (const oncall of oncalls) {
        const level = typeof oncall.escalation_level === 'number' ? oncall.escalation_level : 1;
        if (first !== undefined && level !== first) continue;
        const user = oncall.user as PagerDutyUser | undefined;
        if (typeof user?.id !== 'string') continue;
        const identity = identityOf(user);
        if (identity !== null) identities.add(identity);
      }
      return [...identities];
    },
  };
}
