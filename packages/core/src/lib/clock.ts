// Clock: the time source core reads, injectable for tests.
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
  // Timers stay referenced: a guard waiting for a person is work the process must stay up for.
  // Every timer is cleared once its guard settles, so nothing outlives the call.
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
