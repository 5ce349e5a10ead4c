// Alarm: one clock timer for every waiting guard, over a binary heap of wake-up times.
import type { Clock, TimerHandle } from '../lib/clock.js';

/** What an {@link Alarm} wakes. Its two members belong to the alarm; it starts them at -1. */
export interface Sleeper {
  wake(): void;
  /** When it is due; meaningful only while it is in the alarm. */
  alarmAt: number;
  /** Its place in the alarm's heap, or -1 when it is not in it. */
  alarmIndex: number;
}

/**
 * One clock timer for every waiting guard. A Node timer and the callback it holds cost about
 * 180 B, each waiting guard needs one, and ten thousand of them wait at once in a busy process;
 * here they share one timer, set for the earliest of their wake-up times, kept in a binary heap.
 */
export class Alarm {
  readonly #heap: Sleeper[] = [];
  #timer: TimerHandle | null = null;
  /** When the timer goes off; Infinity when none is set. */
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  /** Wakes `sleeper` after `ms`, replacing any earlier setting for it. */
  set(sleeper: Sleeper, ms: number): void {
    const at = this.clock.now() + Math.max(0, ms);
    if (sleeper.alarmIndex < 0) {
      sleeper.alarmIndex = this.#heap.length;
      this.#heap.push(sleeper);
    }
    sleeper.alarmAt = at;
    this.#siftDown(this.#siftUp(sleeper.alarmIndex));
    this.#arm();
  }

  cancel(sleeper: Sleeper): void {
    const index = sleeper.alarmIndex;
    if (index < 0) return;
    sleeper.alarmIndex = -1;
    const last = this.#heap.pop()!;
    if (last !== sleeper) {
      this.#heap[index] = last;
      last.alarmIndex = index;
      this.#siftDown(this.#siftUp(index));
    }
    this.#arm();
  }

  get size(): number {
    return this.#heap.length;
  }

  readonly #ring = () => {
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    const due: Sleeper[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.alarmAt <= now) {
      const sleeper = this.#heap[0]!;
      this.cancel(sleeper);
      due.push(sleeper);
    }
    this.#arm();
    for (const sleeper of due) sleeper.wake();
  };

  /** Keeps the one timer set for the earliest sleeper, and none when there is none. */
  #arm(): void {
    const at = this.#heap[0]?.alarmAt ?? Number.POSITIVE_INFINITY;
    if (at === this.#timerAt) return;
    if (this.#timer !== null) this.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at !== Number.POSITIVE_INFINITY) {
      this.#timer = this.clock.setTimeout(this.#ring, Math.max(0, at - this.clock.now()));
    }
  }

  #siftUp(index: number): number {
    const heap = this.#heap;
    const sleeper = heap[index]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.alarmAt <= sleeper.alarmAt) break;
      this.#place(heap[parent]!, index);
      index = parent;
    }
    this.#place(sleeper, index);
    return index;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const sleeper = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.alarmAt < heap[left]!.alarmAt ? right : left;
      if (heap[child]!.alarmAt >= sleeper.alarmAt) break;
      this.#place(heap[child]!, index);
      index = child;
    }
    this.#place(sleeper, index);
  }

  #place(sleeper: Sleeper, index: number): void {
    this.#heap[index] = sleeper;
    sleeper.alarmIndex = index;
  }
}
