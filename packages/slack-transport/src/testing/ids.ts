// Identifiers the emulator mints as Slack does: message timestamps, trigger, view and block ids.
import { randomBytes, randomInt } from 'node:crypto';

/**
 * Mints the identifiers Slack hands out: message timestamps, trigger ids, view ids, block ids. Message
 * timestamps look like Slack's (`"1700000000.000100"`: seconds, a dot, six digits) and strictly increase
 * even when the injected clock stands still, because Slack guarantees `ts` is unique per channel.
 */
export class IdMint {
  readonly #now: () => number;
  #lastMicros = 0n;
  #viewCounter = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** A fresh, strictly increasing message timestamp. */
  messageTs(): string {
    const fromClock = BigInt(Math.floor(this.#now())) * 1000n;
    this.#lastMicros = fromClock > this.#lastMicros ? fromClock : this.#lastMicros + 1n;
    return formatMicros(this.#lastMicros);
  }

  /** An action timestamp: same format as a message ts, taken from the clock. */
  actionTs(): string {
    return formatMicros(BigInt(Math.floor(this.#now())) * 1000n + BigInt(randomInt(1000)));
  }

  /** A trigger id in Slack's `12345.98765.abcd2358fdea` shape. */
  triggerId(): string {
    return `${randomInt(1e9, 1e10)}.${randomInt(1e9, 1e10)}.${randomBytes(16).toString('hex')}`;
  }

  /** A view id such as `V0EMU00001`. */
  viewId(): string {
    this.#viewCounter += 1;
    return `V0EMU${String(this.#viewCounter).padStart(5, '0')}`;
  }

  /** An opaque identifier for response URLs and view hashes. */
  opaque(): string {
    return randomBytes(12).toString('hex');
  }
}

const BLOCK_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A short random id, like the `block_id`/`action_id` values Slack generates when an app omits them. */
export function generatedElementId(): string {
  let id = '';
  for (let i = 0; i < 5; i += 1) id += BLOCK_ID_ALPHABET[randomInt(BLOCK_ID_ALPHABET.length)];
  return id;
}

function formatMicros(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  return `${seconds}.${String(fraction).padStart(6, '0')}`;
}
