// Pausing and resuming as runnable tests over a store: open, decide elsewhere, resume once, scoped keys, final errors.

import type { Store } from '../contracts/store.js';
import { createCountersign } from '../instance/countersign.js';
import type { Countersign } from '../instance/countersign-api.js';
import { isCountersignError } from '../lib/errors.js';
import type { ApprovalRequest } from '../model/approval.js';
import type { GuardContext } from '../model/call.js';
import type { PolicyRule } from '../model/rule.js';
import { createRecordingTransport, type RecordingTransport } from './recording-transport.js';
import type { ConformanceRunner } from './runner.js';
import { createTestClock, type TestClock } from './test-clock.js';

export interface PauseResumeConformanceOptions {
  /** A fresh, empty store for each test. */
  create(): Promise<Store> | Store;
  /** Called after each test; the suite closes the store itself. */
  destroy?(store: Store): Promise<void> | void;
  /** Concurrent resumes in the race case. Default 20. */
  racers?: number;
  /** Test names to skip, each with the reason. */
  skip?: Record<string, string>;
}

const POLICY: PolicyRule[] = [
  {
    id: 'deploys',
    match: { action: 'deploy' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
    requestTtl: '15m',
    grantTtl: '60s',
  },
];

const ACTION = { name: 'deploy', resource: 'prod/api', params: { version: '1.2.3' } };

const CONTEXT: GuardContext = {
  actor: 'agent:deployer',
  reason: 'ship the release the user asked for',
  sessionId: 'sess_1',
  idempotencyKey: 'call_0',
};

const TTL = 15 * 60_000;
const POLL_MS = 1_000;

/**
 * Several countersign instances over one store, each standing for a process: what one opens,
 * another decides and a third resumes, as they would across processes sharing the store.
 */
class Processes {
  readonly clock: TestClock = createTestClock();
  /** One entry per run of the action, by any instance. */
  readonly runs: string[] = [];
  private readonly instances: Countersign[] = [];

  constructor(readonly store: Store) {}

  start(): { cs: Countersign; transport: RecordingTransport } {
    const transport = createRecordingTransport();
    const cs = createCountersign({
      store: this.store,
      policy: POLICY,
      clock: this.clock,
      transports: [transport],
    });
    this.instances.push(cs);
    return { cs, transport };
  }

  /** A guard that does not wait: `'ran'`, or the code of the error it threw. */
  async resume(cs: Countersign, context: Partial<GuardContext> = {}): Promise<string> {
    const label = `run ${this.runs.length + 1}`;
    try {
      await cs.guard(
        {
          ...ACTION,
          run: () => {
            this.runs.push(label);
          },
        },
        { ...CONTEXT, wait: false, ...context },
      );
      return 'ran';
    } catch (error) {
      if (isCountersignError(error)) return error.code;
      throw error;
    }
  }

  async close(): Promise<void> {
    // Every instance closes the shared store; a store's close is idempotent.
    for (const cs of this.instances) await cs.close();
  }
}

async function pendingId(cs: Countersign, context: Partial<GuardContext> = {}): Promise<string> {
  const opened = await cs.open(ACTION, { ...CONTEXT, ...context });
  if (opened.status !== 'pending')
    throw new Error(`expected a pending request, got ${JSON.stringify(opened)}`);
  return opened.requestId;
}

/**
 * Opening, deciding and resuming across instances that share a store, as runnable tests. Call it
 * in a test file: `runPauseResumeConformance({ describe, test, expect }, { create: () => createMyStore() })`.
 */
export function runPauseResumeConformance(
  runner: ConformanceRunner,
  options: PauseResumeConformanceOptions,
): void {
  const { describe, expect } = runner;
  const racers = options.racers ?? 20;
  const test = (name: string, body: (processes: Processes) => Promise<void>) => {
    if (options.skip?.[name]) return;
    runner.test(name, async () => {
      const store = await options.create();
      const processes = new Processes(store);
      try {
        await body(processes);
      } finally {
        await processes.close();
        await options.destroy?.(store);
        await store.close();
      }
    });
  };

  const auditOf = async (cs: Countersign, requestId: string) =>
    (await cs.audit.entries()).filter((entry) => entry.requestId === requestId).map((entry) => entry.type);

  describe('pause-resume conformance', () => {
    test('open in one instance, decide in a second, resume in a third: it runs once; a second resume is already_started', async (p) => {
      const a = p.start();
      const b = p.start();
      const c = p.start();
      const opened = await a.cs.open(ACTION, CONTEXT);
      expect(opened.status).toBe('pending');
      const requestId = opened.status === 'pending' ? opened.requestId : '';
      expect(a.transport.delivered.map((r) => r.id)).toEqual([requestId]);

      expect(await p.resume(c.cs)).toBe('approval_pending');
      expect(p.runs).toHaveLength(0);

      await b.cs.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
      expect(await p.resume(c.cs)).toBe('ran');
      expect(p.runs).toHaveLength(1);
      expect(await p.resume(p.start().cs)).toBe('already_started');
      expect(await p.resume(a.cs, { idempotencyKey: null, requestId })).toBe('already_started');
      expect(p.runs).toHaveLength(1);
      const reopened = await a.cs.open(ACTION, CONTEXT);
      expect(reopened.status === 'denied' ? reopened.code : reopened.status).toBe('already_started');

      expect((await b.cs.getRequest(requestId))?.status).toBe('executed');
      expect(await auditOf(b.cs, requestId)).toEqual([
        'requested',
        'delivered',
        'approved',
        'granted',
        'executed',
      ]);
      expect((await b.cs.audit.verify()).ok).toBe(true);
    });

    test('resumes by request id in another instance, only for the exact call', async (p) => {
      const a = p.start();
      const c = p.start();
      const requestId = await pendingId(a.cs, { idempotencyKey: null });
      await a.cs.decide(requestId, { approver: 'user:carol', outcome: 'approve' });
      const byId = { idempotencyKey: null, requestId };
      expect(await p.resume(c.cs, { ...byId, sessionId: 'sess_other' })).toBe('idempotency_conflict');
      expect(await p.resume(c.cs, { ...byId, actor: 'agent:other' })).toBe('idempotency_conflict');
      expect(p.runs).toHaveLength(0);
      expect(await p.resume(c.cs, byId)).toBe('ran');
      expect(p.runs).toHaveLength(1);
    });

    test(`${racers} concurrent resumes of one approval across instances: exactly one runs, the rest are already_started`, async (p) => {
      const instances = Array.from({ length: 4 }, () => p.start().cs);
      const requestId = await pendingId(instances[0]!);
      await instances[1]!.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
      const outcomes = await Promise.all(
        Array.from({ length: racers }, (_, i) => p.resume(instances[i % instances.length]!)),
      );
      expect(p.runs).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'ran')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'already_started')).toHaveLength(racers - 1);
      expect((await instances[2]!.getRequest(requestId))?.status).toBe('executed');
    });

    test('idempotency keys are scoped to actor and session: one key in two sessions is two requests', async (p) => {
      const a = p.start();
      const b = p.start();
      const first = await pendingId(a.cs);
      const otherSession = await pendingId(b.cs, { sessionId: 'sess_2' });
      const otherActor = await pendingId(b.cs, { actor: 'agent:other' });
      expect(new Set([first, otherSession, otherActor]).size).toBe(3);
      expect(await pendingId(b.cs)).toBe(first);
      const stored = await p.store.findRequestByIdempotencyKey(
        CONTEXT.actor,
        JSON.stringify(['sess_1', 'call_0']),
      );
      expect(stored?.id).toBe(first);
      expect(await p.store.findRequestByIdempotencyKey(CONTEXT.actor, 'call_0')).toBeNull();

      // Approving one session's request lets nothing run in the other.
      await a.cs.decide(first, { approver: 'user:bob', outcome: 'approve' });
      expect(await p.resume(b.cs, { sessionId: 'sess_2' })).toBe('approval_pending');
      expect(p.runs).toHaveLength(0);
      expect(await p.resume(b.cs)).toBe('ran');
      expect(p.runs).toHaveLength(1);
    });

    test('a session id and key at their 256-character limits open, re-attach and resume', async (p) => {
      const a = p.start();
      const b = p.start();
      // Three UTF-8 bytes a character, and no run a compressor could shorten.
      const long = (seed: number) =>
        Array.from({ length: 256 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919 + seed) % 20000))).join(
          '',
        );
      const context = { sessionId: long(1), idempotencyKey: long(2) };
      const requestId = await pendingId(a.cs, context);
      expect(await pendingId(b.cs, context)).toBe(requestId);
      await b.cs.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
      expect(await p.resume(b.cs, context)).toBe('ran');
      expect(await p.resume(a.cs, { ...context, idempotencyKey: `${long(2).slice(0, 256)}x` })).toBe(
        'invalid_input',
      );
      expect(p.runs).toHaveLength(1);
    });

    test('a resume after a denial throws approval_denied, with the comment, and runs nothing', async (p) => {
      const a = p.start();
      const b = p.start();
      const requestId = await pendingId(a.cs);
      await b.cs.decide(requestId, { approver: 'user:carol', outcome: 'deny', comment: 'not on a Friday' });
      expect(await p.resume(a.cs)).toBe('approval_denied');
      const error = await a.cs.guard({ ...ACTION, run: () => p.runs.push('denied run') }, CONTEXT).then(
        () => null,
        (e: unknown) => e as { code?: string; comment?: string },
      );
      expect(error?.code).toBe('approval_denied');
      expect(error?.comment).toBe('not on a Friday');
      const reopened = await p.start().cs.open(ACTION, CONTEXT);
      expect(reopened.status).toBe('denied');
      expect(reopened.status === 'denied' ? [reopened.code, reopened.comment] : null).toEqual([
        'approval_denied',
        'not on a Friday',
      ]);
      expect(p.runs).toHaveLength(0);
    });

    test('a resume after the deadline throws approval_expired, audits the expiry, and runs nothing', async (p) => {
      const a = p.start();
      const c = p.start();
      const requestId = await pendingId(a.cs);
      await p.clock.advance(TTL + 1);
      expect(await p.resume(c.cs)).toBe('approval_expired');
      expect(await p.resume(a.cs)).toBe('approval_expired');
      expect(p.runs).toHaveLength(0);
      expect((await c.cs.getRequest(requestId))?.status).toBe('expired');
      expect(await auditOf(c.cs, requestId)).toEqual(['requested', 'delivered', 'expired']);
      // A late approval is refused: the request is settled.
      const late = await c.cs.decide(requestId, { approver: 'user:bob', outcome: 'approve' }).then(
        () => 'decided',
        (e: unknown) => (isCountersignError(e) ? e.code : 'unexpected'),
      );
      expect(late).toBe('already_decided');
    });

    test('an approval outlives the call until the request deadline, then lapses: the resume gets approval_expired, audited, nothing runs', async (p) => {
      const a = p.start();
      const b = p.start();
      const requestId = await pendingId(a.cs);
      await b.cs.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
      // Long past one grant lifetime, and still claimable: the deadline is the request's.
      await p.clock.advance(TTL - 1);
      expect((await a.cs.open(ACTION, CONTEXT)).status).toBe('approved');
      await p.clock.advance(1);
      expect(await p.resume(a.cs)).toBe('approval_expired');
      expect(p.runs).toHaveLength(0);
      expect((await b.cs.getRequest(requestId))?.status).toBe('expired');
      expect(await auditOf(b.cs, requestId)).toEqual(['requested', 'delivered', 'approved', 'expired']);
    });

    test('a detached wait leaves the request pending; it still expires at its deadline, audited', async (p) => {
      const a = p.start();
      const b = p.start();
      const controller = new AbortController();
      const waiting = a.cs
        .guard(
          { ...ACTION, run: () => p.runs.push('detached run') },
          { ...CONTEXT, signal: controller.signal, onAbort: 'detach' },
        )
        .then(
          () => 'ran',
          (e: unknown) => (isCountersignError(e) ? e.code : 'unexpected'),
        );
      const request = await a.transport.nextDelivery();
      controller.abort();
      expect(await waiting).toBe('approval_pending');
      expect((await b.cs.getRequest(request.id))?.status).toBe('pending');

      const decided = b.cs.waitForDecision(request.id);
      await p.clock.advance(TTL - 1);
      expect((await b.cs.getRequest(request.id))?.status).toBe('pending');
      await p.clock.advance(1);
      const expired: ApprovalRequest = await decided;
      expect(expired.status).toBe('expired');
      expect(await auditOf(b.cs, request.id)).toEqual(['requested', 'delivered', 'expired']);
      expect(await p.resume(a.cs)).toBe('approval_expired');
      expect(p.runs).toHaveLength(0);
    });

    test('a detach racing an approval from another instance: the action runs exactly once', async (p) => {
      const b = p.start();
      for (let round = 0; round < 6; round++) {
        const a = p.start();
        const key = { idempotencyKey: `race_${round}` };
        const controller = new AbortController();
        const before = p.runs.length;
        const waiting = p.resume(a.cs, { ...key, wait: true, signal: controller.signal, onAbort: 'detach' });
        const request = await a.transport.nextDelivery();
        const approval = b.cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
        if (round % 3 === 0) controller.abort();
        await approval;
        // A store without notifications wakes the waiting guard only when its poll comes round.
        if (round % 3 === 2) await p.clock.advance(POLL_MS);
        controller.abort();
        const first = await waiting;
        const second = await p.resume(b.cs, key);
        expect(p.runs.length - before).toBe(1);
        expect([first, second].filter((o) => o === 'ran')).toHaveLength(1);
        // Either the waiting guard saw the approval before its abort and ran, or it detached.
        expect([first, second]).toEqual(
          first === 'ran' ? ['ran', 'already_started'] : ['approval_pending', 'ran'],
        );
      }
    });
  });
}
