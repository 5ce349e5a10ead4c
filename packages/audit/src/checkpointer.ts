// createCheckpointer: signs the audit chain's head every N entries, every T ms and on demand.
import type { KeyObject } from 'node:crypto';
import {
  AUDIT_TYPES,
  type Clock,
  ConfigError,
  type Countersign,
  GENESIS_HASH,
  systemClock,
  type TimerHandle,
} from '@countersign/core';
import { type Checkpoint, signCheckpoint } from './checkpoint.js';
import { CheckpointError } from './checkpoint-error.js';
import { checkKeyId, type KeyInput, loadPrivateKey } from './keys.js';
import { type CheckpointSink, callbackSink } from './sink.js';

export interface CheckpointerOptions {
  /** The Ed25519 private key that signs, as a `KeyObject` or PEM. It never leaves this object. */
  key: KeyInput;
  /** Names `key`; auditors find the matching public key by it. */
  keyId: string;
  /** Where checkpoints go: `fileSink(path)`, `httpSink(url)`, or a function. */
  sink: CheckpointSink | ((checkpoint: Checkpoint) => void | Promise<void>);
  /** Names the log in every checkpoint. Default `'countersign'`. */
  origin?: string | undefined;
  /** Sign after this many new audit entries. Default 1000; 0 turns it off. */
  everyEntries?: number | undefined;
  /** Also sign every this many ms if the chain grew. Default: off. */
  intervalMs?: number | undefined;
  /** Called after each checkpoint the sink accepted. */
  onCheckpoint?: ((checkpoint: Checkpoint) => void) | undefined;
  /** Called when a periodic checkpoint could not be signed or written; guards never wait for it. */
  onError?: ((error: CheckpointError) => void) | undefined;
  /** Where failures are logged, one line each, without key material. Default `console.warn`. */
  log?: ((line: string) => void) | undefined;
  clock?: Clock | undefined;
}

export interface Checkpointer {
  /** Signs the current head now and writes it to the sink; rejects with `CheckpointError` if either fails. */
  checkpoint(): Promise<Checkpoint>;
  /** Signs with another key from now on; keep the old public key for checkpoints already written. */
  rotate(key: KeyInput, keyId: string): void;
  /** The newest checkpoint the sink accepted, or null. */
  readonly last: Checkpoint | null;
  readonly keyId: string;
  /** Stops counting and the timer, waits for a checkpoint in flight, then closes the sink. */
  close(): Promise<void>;
}

const ORIGIN = /^[^\n\r]{1,256}$/;

/**
 * Keeps signed checkpoints of `cs`'s audit chain in a sink the store cannot write. Counting rides on
 * `cs` events and signing runs after the step that triggered it, so a slow or failing sink never
 * holds up a guard; failures go to `onError` and the log, and show as a gap in `verifyCheckpoints`.
 */
export function createCheckpointer(cs: Countersign, options: CheckpointerOptions): Checkpointer {
  return new CheckpointerImpl(cs, options);
}

class CheckpointerImpl implements Checkpointer {
  #key: KeyObject;
  #keyId: string;
  readonly #cs: Countersign;
  readonly #sink: CheckpointSink;
  readonly #origin: string;
  readonly #every: number;
  readonly #clock: Clock;
  readonly #options: CheckpointerOptions;
  readonly #count = () => this.#counted();
  #pending = 0;
  #timer: TimerHandle | null = null;
  #running: Promise<unknown> = Promise.resolve();
  #queued = false;
  #closed = false;
  #last: Checkpoint | null = null;

  constructor(cs: Countersign, options: CheckpointerOptions) {
    checkOptions(options);
    this.#cs = cs;
    this.#options = options;
    this.#key = loadPrivateKey(options.key);
    this.#keyId = checkKeyId(options.keyId, 'createCheckpointer');
    this.#sink = typeof options.sink === 'function' ? callbackSink(options.sink) : options.sink;
    this.#origin = options.origin ?? 'countersign';
    this.#every = options.everyEntries ?? 1000;
    this.#clock = options.clock ?? systemClock;
    if (this.#every > 0) for (const type of AUDIT_TYPES) cs.on(type, this.#count);
    if (options.intervalMs !== undefined) this.#arm(options.intervalMs);
  }

  get last(): Checkpoint | null {
    return this.#last;
  }

  get keyId(): string {
    return this.#keyId;
  }

  checkpoint(): Promise<Checkpoint> {
    if (this.#closed)
      return Promise.reject(new CheckpointError('closed', null, 'the checkpointer is closed'));
    const run = this.#running.then(() => this.#sign(false) as Promise<Checkpoint>);
    this.#running = run.catch(() => {});
    return run;
  }

  rotate(key: KeyInput, keyId: string): void {
    const next = loadPrivateKey(key);
    this.#keyId = checkKeyId(keyId, 'rotate');
    this.#key = next;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const type of AUDIT_TYPES) this.#cs.off(type, this.#count);
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    await this.#running;
    await this.#sink.close?.();
  }

  #counted(): void {
    this.#pending += 1;
    if (this.#pending >= this.#every) this.#background();
  }

  #arm(ms: number): void {
    const tick = () => {
      if (this.#closed) return;
      this.#background();
      this.#arm(ms);
    };
    if (this.#options.clock !== undefined) {
      this.#timer = this.#clock.setTimeout(tick, ms);
      return;
    }
    // Checkpoints alone never keep a process alive that has nothing else to do.
    const timer = setTimeout(tick, ms);
    timer.unref();
    this.#timer = timer;
  }

  /** One periodic checkpoint at a time; triggers while one runs fold into a single follow-up. */
  #background(): void {
    if (this.#queued || this.#closed) return;
    this.#queued = true;
    const run = this.#running.then(() => {
      this.#queued = false;
      return this.#sign(true);
    });
    this.#running = run.catch((error: unknown) => {
      // Try again after another `everyEntries` entries (or the next tick), not on every entry.
      this.#pending = 0;
      this.#report(error);
    });
  }

  /** Signs the head and writes it; with `onlyIfGrown`, returns null when the last checkpoint already covers it. */
  async #sign(onlyIfGrown: boolean): Promise<Checkpoint | null> {
    const pendingBefore = this.#pending;
    let checkpoint: Checkpoint;
    try {
      const head = await this.#cs.audit.head();
      if (onlyIfGrown && this.#last !== null && (head?.seq ?? 0) === this.#last.seq) return null;
      checkpoint = signCheckpoint(
        {
          origin: this.#origin,
          seq: head?.seq ?? 0,
          hash: head?.hash ?? GENESIS_HASH,
          time: this.#clock.now(),
          keyId: this.#keyId,
        },
        this.#key,
      );
    } catch (error) {
      throw new CheckpointError('head', null, `could not read the audit head: ${describe(error)}`, error);
    }
    try {
      await this.#sink.write(checkpoint);
    } catch (error) {
      throw new CheckpointError(
        'sink',
        checkpoint.seq,
        `sink "${this.#sink.name}" did not accept the checkpoint of seq ${checkpoint.seq}: ${describe(error)}; entries after the previous checkpoint stay uncovered until a later one succeeds`,
        error,
      );
    }
    this.#pending = Math.max(0, this.#pending - pendingBefore);
    this.#last = checkpoint;
    try {
      this.#options.onCheckpoint?.(checkpoint);
    } catch {
      // The sink has the checkpoint; a throwing observer must not make it look failed.
    }
    return checkpoint;
  }

  #report(error: unknown): void {
    const failure =
      error instanceof CheckpointError
        ? error
        : new CheckpointError('sink', null, `checkpoint failed: ${describe(error)}`, error);
    (this.#options.log ?? console.warn)(failure.message);
    try {
      this.#options.onError?.(failure);
    } catch {
      // A throwing error handler must not turn a reported failure into an unhandled rejection.
    }
  }
}

function checkOptions(options: CheckpointerOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('[audit] createCheckpointer needs options { key, keyId, sink }');
  }
  const known = new Set([
    'key',
    'keyId',
    'sink',
    'origin',
    'everyEntries',
    'intervalMs',
    'onCheckpoint',
    'onError',
    'log',
    'clock',
  ]);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(`[audit] createCheckpointer: unknown option(s) ${unknown.join(', ')}`);
  }
  const sink = options.sink as unknown;
  const isSink =
    typeof sink === 'function' ||
    (typeof sink === 'object' && sink !== null && typeof (sink as CheckpointSink).write === 'function');
  if (!isSink)
    throw new ConfigError('[audit] createCheckpointer: sink must be a CheckpointSink or a function');
  if (options.origin !== undefined && (typeof options.origin !== 'string' || !ORIGIN.test(options.origin))) {
    throw new ConfigError('[audit] createCheckpointer: origin must be one line of 1 to 256 characters');
  }
  const every = options.everyEntries;
  if (every !== undefined && (!Number.isSafeInteger(every) || every < 0)) {
    throw new ConfigError('[audit] createCheckpointer: everyEntries must be a whole number ≥ 0');
  }
  const interval = options.intervalMs;
  if (interval !== undefined && (!Number.isSafeInteger(interval) || interval < 1)) {
    throw new ConfigError('[audit] createCheckpointer: intervalMs must be a whole number of ms ≥ 1');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
