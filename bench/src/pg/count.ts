// Statements per approval, counted as the driver sends them, with the agent and the approval server as two instances.
import { type Countersign, type CountersignEvent, createCountersign } from '@countersign/core';
import type pg from 'pg';
import { CONTEXT, DIRECTORY, EXPORT, POLICY } from '../fixtures.js';
import { loadStore, named } from './load-store.js';

export interface Counted<T> {
  result: T;
  /** Every statement (each a round trip), by kind: its first words, schema names elided. */
  kinds: Map<string, number>;
  statements: number;
  begins: number;
  seals: number;
}

/** What a statement is, for the breakdown: the first words of its SQL. */
function kind(text: string): string {
  return text
    .replace(/"[^"]*"\./g, '')
    .replace(/\s+/g, ' ')
    .replace(/^WITH (\w+) AS \((\w+ \w+ \w+).*$/, 'WITH $1 AS ($2 …)')
    .slice(0, 60);
}

/**
 * Counts every statement any client of `pgModule` sends while `fn` runs: every pooled and
 * LISTEN connection of this process. A string with several statements would count once; the
 * stores send none.
 */
export async function countQueries<T>(pgModule: typeof pg, fn: () => Promise<T>): Promise<Counted<T>> {
  const proto = pgModule.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const kinds = new Map<string, number>();
  let statements = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | null)?.text ?? '');
    statements += 1;
    const k = kind(text);
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
    return original.apply(this, args);
  };
  try {
    const result = await fn();
    const count = (test: (k: string) => boolean) =>
      [...kinds].filter(([k]) => test(k)).reduce((sum, [, n]) => sum + n, 0);
    return {
      result,
      kinds,
      statements,
      begins: count((k) => k === 'BEGIN'),
      seals: count((k) => k.includes('seal_audit(')),
    };
  } finally {
    proto.query = original;
  }
}

/**
 * Approvals one after another: `agent` guards (request, wake, claim, run, consume, revoke) and
 * `server` decides, each the instance a production process would have.
 */
export async function sequentialApprovals(
  agent: Countersign,
  n: number,
  tag: string,
  server: Countersign = agent,
): Promise<void> {
  const requested = new Map<number, (id: string) => void>();
  const listener = (event: CountersignEvent) => {
    const params = event.request?.action.params as { tag?: string; job?: number } | undefined;
    if (params?.tag === tag && params.job !== undefined) requested.get(params.job)?.(event.request!.id);
  };
  agent.on('requested', listener);
  try {
    for (let i = 0; i < n; i++) {
      const params = { ...EXPORT.params, tag, job: i };
      const waiting = new Promise<string>((resolve) => requested.set(i, resolve));
      const done = agent.guard(
        {
          ...EXPORT,
          params,
          run: async (grant) => {
            await agent.grants.consume(grant.token, { ...EXPORT, params, sessionId: CONTEXT.sessionId });
          },
        },
        CONTEXT,
      );
      await server.decide(await waiting, { approver: 'user:bob', outcome: 'approve', via: 'bench' });
      await done;
    }
  } finally {
    agent.off('requested', listener);
  }
}

/**
 * Statements per approval with two instances on two stores (two pools, two LISTEN connections),
 * agent and approval server, after `warm` approvals; the stores' own sealing included.
 */
export async function countApprovals(
  url: string,
  schema: string,
  pgModule: typeof pg,
  approvals: number,
): Promise<Counted<void> & { perApproval: number }> {
  const { createPostgresStore } = await loadStore();
  const agentStore = createPostgresStore({ connectionString: named(url, 'csb_count_agent'), schema });
  const serverStore = createPostgresStore({ connectionString: named(url, 'csb_count_server'), schema });
  const options = { policy: POLICY, directory: DIRECTORY };
  const agent = createCountersign({ store: agentStore, ...options });
  const server = createCountersign({ store: serverStore, ...options });
  try {
    await sequentialApprovals(agent, 10, 'count-warm', server);
    // Let the warm-up's seals run, so they are not counted.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const counted = await countQueries(pgModule, async () => {
      await sequentialApprovals(agent, approvals, 'count', server);
      // Seals the counted approvals' writes fall due for run within this.
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    return { ...counted, perApproval: counted.statements / approvals };
  } finally {
    await agent.close();
    await server.close();
  }
}
