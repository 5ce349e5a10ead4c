/** Opaque timer handle returned by a {@link Clock}. */
export type TimerHandle = unknown;

/**
 * Time source for every deadline countersign keeps. Inject a test clock
 * (`createTestClock` from `@countersign/core/testing`) to drive expiry without waiting.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // A pending approval must not keep a process alive on its own.
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
