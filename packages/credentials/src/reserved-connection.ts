// A connection held open for revocations only, so a server or pool that is full cannot stop a role being dropped.
import pg from 'pg';

/** One client kept connected between revocations; revocations take turns on it. */
export interface ReservedConnection {
  /** Connects now if not connected: the broker calls this before it creates a role it must later drop. */
  ensure(): Promise<void>;
  /** Runs `work` on the held client, alone; reconnects first if the last connection broke. */
  use<T>(work: (client: pg.ClientBase) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The `application_name` it connects with, so operators can tell it apart in `pg_stat_activity`. */
export const RESERVED_APPLICATION_NAME = 'countersign revocations';

export function createReservedConnection(config: pg.ClientConfig, name: string): ReservedConnection {
  let client: Promise<pg.Client> | null = null;
  let turn: Promise<unknown> = Promise.resolve();
  let closed = false;

  const connect = (): Promise<pg.Client> => {
    if (closed) return Promise.reject(new Error(`${name}: the broker is closed`));
    if (client !== null) return client;
    const fresh = new pg.Client({ application_name: RESERVED_APPLICATION_NAME, ...config });
    const connecting = fresh.connect().then(
      () => fresh,
      (error: unknown) => {
        if (client === connecting) client = null;
        throw new Error(
          `${name}: could not open the connection reserved for revocations: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    );
    // A broken connection is replaced at the next use; the error itself surfaces through that use's query.
    const drop = () => {
      if (client === connecting) client = null;
    };
    fresh.on('error', drop);
    fresh.on('end', drop);
    client = connecting;
    return connecting;
  };

  return {
    async ensure() {
      await connect();
    },
    use(work) {
      const mine = turn.then(async () => work(await connect()));
      turn = mine.catch(() => {});
      return mine;
    },
    async close() {
      closed = true;
      const held = client;
      client = null;
      await turn;
      if (held !== null) await held.then((c) => c.end()).catch(() => {});
    },
  };
}
