// Shared set-up for the MCP tests: a countersign instance with one rule per outcome.
import { type Countersign, createCountersign, describeOutcome, type PolicyRule } from '@countersign/core';
import { createRecordingTransport, createTestClock, type TestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';

export const POLICY: PolicyRule[] = [
  { id: 'reads-ok', match: { action: ['db.read', 'mcp.fixture.read_file'] }, effect: 'allow' },
  {
    id: 'exports-need-approval',
    match: { action: ['db.export', 'mcp.fixture.delete_repo'] },
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
    requestTtl: '10m',
  },
  { id: 'no-drops', match: { action: ['db.drop', 'mcp.fixture.drop_table'] }, effect: 'deny' },
];

export interface Harness {
  cs: Countersign;
  clock: TestClock | null;
  /** Request ids in the order they were created. */
  requested: string[];
  /** Resolves with the id of the next request created. */
  nextRequest(): Promise<string>;
}

export function createHarness(options: { clock?: boolean } = {}): Harness {
  const clock = options.clock ? createTestClock() : null;
  const cs = createCountersign({
    store: createMemoryStore(),
    transports: [createRecordingTransport()],
    policy: POLICY,
    directory: { 'user:bob': {} },
    ...(clock ? { clock } : {}),
  });
  const requested: string[] = [];
  const waiting: ((id: string) => void)[] = [];
  cs.on('requested', ({ request }) => {
    if (request === null) return;
    requested.push(request.id);
    for (const resolve of waiting.splice(0)) resolve(request.id);
  });
  return {
    cs,
    clock,
    requested,
    nextRequest: () => new Promise((resolve) => waiting.push(resolve)),
  };
}

/** The exact text a refused call carries, from core's own description of `code`. */
export function refusalText(code: string, comment?: string): string {
  const { message } = describeOutcome({ status: 'denied', code });
  const said = comment === undefined ? '' : ` The reviewer said: ${JSON.stringify(comment)}`;
  return `${message}${said} (code: ${code})`;
}
