// Case 6's baselines for decision → resume: the bare NOTIFY hop, and a decision plus the least claim, timed as resume is.
import pg from 'pg';
import { between, type ChildEvent, child } from './child.js';
import { named, now } from './load-store.js';

export interface HopSamples {
  /** ns: the notifying statement sent → heard (or claimed) in the other process. */
  fromSend: number[];
  /** ns: the notifying statement's reply → heard (or claimed). */
  fromAck: number[];
}

/**
 * `n` notifications one after another to a LISTENing process, timed on CLOCK_MONOTONIC like
 * resume. With `claim` (the quoted schema of the floor tables) each is a decision: one statement
 * that approves a pending floor request and NOTIFYs its id, which the other process claims.
 */
export async function hop(url: string, tag: string, n: number, claim: string | null): Promise<HopSamples> {
  const channel = `csb_hop_${process.pid}_${tag}`;
  const heard = new Map<string, string>();
  let wake: () => void = () => {};
  let ready: () => void = () => {};
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const listener = child(
    'pg-listen.ts',
    { url, channel, appName: `csb_${tag}_listen`, claim },
    (event: ChildEvent) => {
      if (event.event === 'ready') ready();
      if (event.event === 'failed') throw new Error(event.error);
      if (event.event === 'heard' && event.id && event.at) {
        heard.set(event.id, event.at);
        wake();
      }
    },
  );
  await isReady;
  const notifier = new pg.Client({ connectionString: named(url, `csb_${tag}_notify`) });
  await notifier.connect();
  const samples: HopSamples = { fromSend: [], fromAck: [] };
  const record = JSON.stringify({ fingerprint: 'f'.repeat(64), status: 'approved' });
  try {
    for (let i = 0; i < n; i++) {
      const id = `req_${tag}_${i}`;
      if (claim !== null) {
        await notifier.query(
          `INSERT INTO ${claim}.floor_requests (id, status, version, record) VALUES ($1, 'pending', 1, $2)`,
          [id, record],
        );
      }
      const arrived = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const sent = now();
      if (claim === null) await notifier.query('SELECT pg_notify($1, $2)', [channel, id]);
      else {
        await notifier.query({
          name: 'floor_decide',
          text: `WITH d AS (UPDATE ${claim}.floor_requests SET status = 'approved', version = version + 1
              WHERE id = $1 AND status = 'pending' RETURNING id)
            SELECT pg_notify($2, id) FROM d`,
          values: [id, channel],
        });
      }
      const ack = now();
      if (!heard.has(id)) await arrived;
      const at = heard.get(id)!;
      samples.fromSend.push(between(sent, at));
      samples.fromAck.push(between(ack, at));
    }
  } finally {
    await notifier.end();
    listener.process.stdin!.end();
    await listener.exited;
  }
  return samples;
}

/** The floor's tables: requests, grants and an audit queue, in `s` (quoted). */
export function floorTables(s: string): string[] {
  return [
    `CREATE TABLE ${s}.floor_requests (id text PRIMARY KEY, status text NOT NULL, version integer NOT NULL,
      grant_id text, record json NOT NULL)`,
    `CREATE TABLE ${s}.floor_grants (id text PRIMARY KEY, token_hash text NOT NULL UNIQUE, request_id text NOT NULL)`,
    `CREATE TABLE ${s}.floor_queue (id bigserial PRIMARY KEY, a text[] NOT NULL)`,
  ];
}
