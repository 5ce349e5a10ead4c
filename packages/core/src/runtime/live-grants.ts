// Grants this process issued whose action is still running: their consumption is recorded on the entry that ends them.
import type { GrantRecord } from '../model/grants.js';

/**
 * A grant between its issue and the entry that ends it. A consumption through this process
 * writes no entry of its own: it is recorded here and written, as `consumedAt`, with the outcome
 * and the revocation, in one entry.
 */
export class LiveGrant {
  consumedAt: number | null = null;
  /** A consumption whose store call failed may have applied: the end must read the grant back. */
  uncertain = false;
  /** A consumption in flight; the end waits for it so its time is in the entry. */
  private inFlight: Promise<unknown> | null = null;

  constructor(
    readonly record: GrantRecord,
    /** The grant's token: this process made it, so a consumption here needs no hash to find it. */
    readonly token: string,
    /**
     * The canonical JSON whose hash is the grant's fingerprint, or null when not known: a check
     * whose call writes the same text has this fingerprint, without hashing it again.
     */
    readonly identity: string | null,
  ) {}

  /** Runs a consumption of this grant at `now`; the end of the grant waits for it. */
  track<T>(consume: Promise<T | null>, now: number): Promise<T | null> {
    const settled = consume.then(
      (result) => {
        if (result !== null) this.consumedAt = now;
      },
      () => {
        this.uncertain = true;
      },
    );
    this.inFlight = this.inFlight === null ? settled : Promise.all([this.inFlight, settled]);
    return consume;
  }

  /** Whether a consumption through a store's promise has been tracked: the end must wait for it. */
  get busy(): boolean {
    return this.inFlight !== null || this.uncertain;
  }

  /**
   * Resolves once every consumption tracked so far has settled. Called after the grant is closed:
   * a consumption looks the grant up and tracks itself in one synchronous step, so none follows.
   */
  settled(): Promise<unknown> {
    return this.inFlight ?? Promise.resolve();
  }
}

/**
 * Live grants by token: what `grants.consume()` looks up before hashing anything or reading the
 * store. Tokens never leave this map: it is this process's own memory of what it handed its runs.
 */
export class LiveGrants {
  private readonly byToken = new Map<string, LiveGrant>();

  /** `identity` is used only when it hashes to the record's fingerprint, as its own `fingerprint` says. */
  open(
    record: GrantRecord,
    token: string,
    identity: { text: string; fingerprint: string } | null,
  ): LiveGrant {
    const text = identity !== null && identity.fingerprint === record.fingerprint ? identity.text : null;
    const live = new LiveGrant(record, token, text);
    this.byToken.set(token, live);
    return live;
  }

  get(token: string): LiveGrant | undefined {
    return this.byToken.get(token);
  }

  /** From now on a consumption of this grant goes the way of any other process's, with its own entry. */
  close(live: LiveGrant): void {
    this.byToken.delete(live.token);
  }
}
