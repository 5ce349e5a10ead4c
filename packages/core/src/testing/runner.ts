// The test runner functions the conformance suites take, so core never imports vitest.
/** The few matchers the conformance suites use; vitest's and jest's `expect` satisfy it. */
export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeNull(): void;
  toHaveLength(length: number): void;
  toBeGreaterThan(value: number): void;
  toContain(item: unknown): void;
  toBeTruthy(): void;
  readonly not: Omit<Matchers, 'not'>;
}

/**
 * Your test runner's functions. Pass vitest's (`{ describe, test, expect }`) or jest's, so core
 * depends on neither.
 */
export interface ConformanceRunner {
  describe(name: string, body: () => void): void;
  test(name: string, body: () => Promise<void>, timeout?: number): void;
  expect(actual: unknown): Matchers;
}
