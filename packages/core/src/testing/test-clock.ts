// A manual clock for tests: time moves only when told to.
import type { Clock, TimerHandle } from '../lib/clock.js';

export interface TestClock extends Clock {
  /** Moves time forward, firing due timers in order; awaits between timers so their effects settle. */
  advance(ms: number): Promise<void>;
  /** Timers scheduled and not yet fired or cleared: zero once every guard has settled. */
  pendingTimers(): number;
  /** Lets queued promise callbacks run without moving time. */
  flush(): Promise<void>;
}

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

/** A manual clock for tests: time moves only when `advance` is called. */
export function createTestClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  const flush = async () => {
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    now: () => now,
    setTimeout(callback: () => void, ms: number): TimerHandle {
      const timer = { id: nextId++, at: now + Math.max(0, ms), callback };
      timers.set(timer.id, timer);
      return timer.id;
    },
    clearTimeout(handle: TimerHandle) {
      timers.delete(handle as number);
    },
    async advance(ms: number) {
      const target = now + ms;
      await flush();
      for (;;) {
        const due = [...timers.values()]
          .filter((t) => t.at <= target)
          .sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (!due) break;
        timers.delete(due.id);
        now = Math.max(now, due.at);
        due.callback();
        await flush();
      }
      now = target;
      await flush();
    },
    pendingTimers: () => timers.size,
    flush,
  };
}
