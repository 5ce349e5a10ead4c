// runTransportConformance(): what every transport must do, as tests any runner can run.

import type { DecisionInput, Transport, TransportHost } from '../contracts/transport.js';
import { systemClock } from '../lib/clock.js';
import type { ApprovalRequest } from '../model/approval.js';
import { sampleRequest } from './fixtures.js';
import type { ConformanceRunner } from './runner.js';

/** What the suite needs to observe a transport from the outside. */
export interface TransportHarness {
  transport: Transport;
  /** Everything the transport has sent anywhere for this request, as text (message bodies, updates). */
  sent(requestId: string): Promise<string>;
  /** How many times it posted a new message (not an update) for this request. */
  posts(requestId: string): Promise<number>;
  /** Stops servers the harness started. */
  cleanup?(): Promise<void> | void;
}

export interface TransportConformanceOptions {
  /** A fresh harness for each test. */
  create(): Promise<TransportHarness> | TransportHarness;
  /** Test names to skip, each with the reason. */
  skip?: Record<string, string>;
}

/** A request as core hands it over: a secret param already replaced by the redaction marker. */
function requestFor(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  // The fake host uses the system clock, so the request must still be live by it.
  const now = Date.now();
  const base = sampleRequest({ createdAt: now, expiresAt: now + 15 * 60_000, ...overrides });
  return {
    ...base,
    action: {
      ...base.action,
      params: { ...base.action.params, token: '[REDACTED]' },
      redactedPaths: ['token'],
    },
  };
}

function fakeHost(): TransportHost & { decisions: { requestId: string; decision: DecisionInput }[] } {
  const decisions: { requestId: string; decision: DecisionInput }[] = [];
  return {
    decisions,
    clock: systemClock,
    async decide(requestId, decision) {
      decisions.push({ requestId, decision });
      return { request: sampleRequest({ id: requestId }), approvals: 0, quorum: 1 };
    },
    async getRequest() {
      return null;
    },
    async recordRefusal() {},
  };
}

/**
 * The contract every Transport must meet. Call it inside a test file:
 * `runTransportConformance({ describe, test, expect }, { create: async () => ({ transport, sent, posts }) })`.
 */
export function runTransportConformance(
  runner: ConformanceRunner,
  options: TransportConformanceOptions,
): void {
  const { describe, expect } = runner;
  const test = (name: string, body: (harness: TransportHarness) => Promise<void>) => {
    if (options.skip?.[name]) return;
    runner.test(name, async () => {
      const harness = await options.create();
      try {
        await harness.transport.start?.(fakeHost());
        await body(harness);
      } finally {
        await harness.transport.close?.();
        await harness.cleanup?.();
      }
    });
  };

  describe('transport conformance', () => {
    test('has a non-empty name', async ({ transport }) => {
      expect(typeof transport.name).toBe('string');
      expect(transport.name.length).toBeGreaterThan(0);
    });

    test('delivers the who, what and why', async (harness) => {
      const request = requestFor();
      const ref = await harness.transport.deliver(request, { signal: new AbortController().signal });
      if (ref !== undefined) {
        for (const value of Object.values(ref)) expect(typeof value).toBe('string');
      }
      const text = await harness.sent(request.id);
      for (const fact of [
        request.actor,
        'user:alice',
        request.action.name,
        'prod/customers',
        request.reason,
      ]) {
        expect(text).toContain(fact);
      }
      expect(await harness.posts(request.id)).toBe(1);
    });

    test('delivery is idempotent per request id', async (harness) => {
      const request = requestFor();
      const signal = new AbortController().signal;
      const first = await harness.transport.deliver(request, { signal });
      const second = await harness.transport.deliver(request, { signal });
      expect(second).toEqual(first);
      expect(await harness.posts(request.id)).toBe(1);
    });

    test('shows the redacted params as redacted, with their hash', async (harness) => {
      const request = requestFor();
      await harness.transport.deliver(request, { signal: new AbortController().signal });
      const text = await harness.sent(request.id);
      expect(text).toContain('[REDACTED]');
      expect(text).toContain(request.action.paramsHash.slice(0, 12));
    });

    test('accepts updates through to a final state', async (harness) => {
      const request = requestFor();
      const ref = await harness.transport.deliver(request, { signal: new AbortController().signal });
      if (!harness.transport.update) return;
      const receipt = { transport: harness.transport.name, ref: ref ?? {}, at: Date.now() };
      const vote = {
        approver: 'user:bob',
        outcome: 'approve' as const,
        comment: null,
        via: 'test',
        at: Date.now(),
      };
      await harness.transport.update({ ...request, version: 2, decisions: [vote] }, receipt);
      const approved = {
        ...request,
        version: 3,
        status: 'approved' as const,
        decisions: [vote, { ...vote, approver: 'user:carol' }],
      };
      await harness.transport.update(approved, receipt);
      await harness.transport.update({ ...approved, version: 4, status: 'executed' }, receipt);
      expect(await harness.posts(request.id)).toBe(1);
    });

    test('close is idempotent', async ({ transport }) => {
      await transport.close?.();
      await transport.close?.();
    });
  });
}
