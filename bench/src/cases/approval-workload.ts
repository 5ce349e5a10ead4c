// Case 8: a scripted data-analysis session of 200 tool calls: human decisions and agent waiting with and without conditions, reuse and batches.
import {
  type ApprovalRequest,
  type Countersign,
  createCountersign,
  fingerprintAction,
  type PolicyRule,
} from '@countersign/core';
import { createTestClock, type TestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import type { CaseResult } from '../harness.js';

/** One tool call of the session; `risky` calls must reach a person in every configuration. */
interface Call {
  name: 'db.read' | 'db.export';
  params: { table: string; rows: number; destination?: string };
  risky: boolean;
}

/** Simulated human time: reading and deciding one request, and each further request of a batch. */
const DECISION_MS = 60_000;
const PER_BATCH_ITEM_MS = 5_000;
const MAX_BATCH = 12;

/**
 * 200 calls in steps of 1–6 parallel calls (an agent fanning out tool calls): 120 reads (mostly
 * small, some large or of sensitive tables), 60 exports of the same report table to the internal
 * bucket, 10 exports of other tables, and 10 risky exports (over a million rows, or to an external bucket).
 */
function workload(): Call[][] {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const tables = ['orders', 'customers', 'events', 'products', 'sessions'];
  const calls: Call[] = [];
  for (let i = 0; i < 120; i++) {
    const sensitive = random() < 0.05;
    calls.push({
      name: 'db.read',
      params: {
        table: sensitive ? 'payroll' : tables[Math.floor(random() * tables.length)]!,
        rows: random() < 0.1 ? 50_000 : 100 + Math.floor(random() * 900),
      },
      risky: false,
    });
  }
  for (let i = 0; i < 60; i++) {
    calls.push({
      name: 'db.export',
      params: { table: 'weekly_report', rows: 5_000, destination: 's3://internal/reports' },
      risky: false,
    });
  }
  for (let i = 0; i < 10; i++) {
    calls.push({
      name: 'db.export',
      params: { table: tables[i % tables.length]!, rows: 20_000, destination: 's3://internal/adhoc' },
      risky: false,
    });
  }
  for (let i = 0; i < 10; i++) {
    const external = i % 2 === 0;
    calls.push({
      name: 'db.export',
      params: {
        table: 'customers',
        rows: external ? 10_000 : 2_000_000,
        destination: external ? 's3://external-partner/drop' : 's3://internal/bulk',
      },
      risky: true,
    });
  }
  // Shuffle, then cut into steps of parallel calls.
  for (let i = calls.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [calls[i], calls[j]] = [calls[j]!, calls[i]!];
  }
  const steps: Call[][] = [];
  for (let i = 0; i < calls.length; ) {
    const size = 1 + Math.floor(random() * 6);
    steps.push(calls.slice(i, i + size));
    i += size;
  }
  return steps;
}

const APPROVERS = { users: ['user:bob'] };
const COMMON = { approvers: APPROVERS, requestTtl: '4h' } as const;

/** Every read and export asks: what a coarse policy does. */
const COARSE: PolicyRule[] = [
  { id: 'reads', match: { action: 'db.read' }, effect: 'require_approval', ...COMMON },
  { id: 'exports', match: { action: 'db.export' }, effect: 'require_approval', ...COMMON },
];

const RISKY_WHEN = "params.rows > 1000000 || params.destination.startsWith('s3://external-')";

function aimed(reuse: boolean): PolicyRule[] {
  return [
    {
      id: 'small-reads',
      match: { action: 'db.read' },
      when: "params.rows <= 1000 && !(params.table in ['payroll'])",
      effect: 'allow',
    },
    { id: 'reads', match: { action: 'db.read' }, effect: 'require_approval', ...COMMON },
    {
      id: 'risky-exports',
      match: { action: 'db.export' },
      when: RISKY_WHEN,
      effect: 'require_approval',
      risk: 'high',
      destructive: true,
      ...COMMON,
    },
    {
      id: 'exports',
      match: { action: 'db.export' },
      effect: 'require_approval',
      ...COMMON,
      ...(reuse
        ? {
            reuse: { within: '30m', scope: 'session', same: ['table', 'destination'], maxUses: 100 } as const,
          }
        : {}),
    },
  ];
}

interface Outcome {
  decisions: number;
  asked: number;
  riskyAsked: number;
  riskyTotal: number;
  waitedMs: number;
  sessionMs: number;
  calls: number;
}

/** One approver working a queue: one request at a time, or (batching) up to 12 non-risky ones at once. */
function approverBot(cs: Countersign, clock: TestClock, batching: boolean, counts: { decisions: number }) {
  const queue: ApprovalRequest[] = [];
  let busy = false;
  const next = () => {
    if (busy || queue.length === 0) return;
    busy = true;
    const first = queue[0]!;
    const take =
      batching && first.risk !== 'high'
        ? queue.filter((request) => request.risk !== 'high').slice(0, MAX_BATCH)
        : [first];
    for (const request of take) queue.splice(queue.indexOf(request), 1);
    clock.setTimeout(
      () => {
        counts.decisions++;
        const decided =
          take.length === 1
            ? cs.decide(take[0]!.id, { approver: 'user:bob', outcome: 'approve' })
            : cs.decideBatch({
                approver: 'user:bob',
                outcome: 'approve',
                requests: take.map((request) => ({ id: request.id, paramsHash: request.action.paramsHash })),
              });
        void decided
          .catch(() => {})
          .finally(() => {
            busy = false;
            next();
          });
      },
      DECISION_MS + (take.length - 1) * PER_BATCH_ITEM_MS,
    );
  };
  cs.on('requested', (event) => {
    if (event.request) queue.push(event.request);
    next();
  });
}

async function runSession(policy: PolicyRule[], batching: boolean): Promise<Outcome> {
  const clock = createTestClock();
  const cs = createCountersign({ store: createMemoryStore(), policy, clock, maxPendingPerActor: 100 });
  cs.on('notice', () => {});
  const counts = { decisions: 0 };
  approverBot(cs, clock, batching, counts);
  const risky = new Set<string>();
  const riskyAsked = new Set<string>();
  let asked = 0;
  cs.on('requested', (event) => {
    asked++;
    if (event.request && risky.has(event.request.fingerprint)) riskyAsked.add(event.request.fingerprint);
  });
  const start = clock.now();
  let waitedMs = 0;
  let calls = 0;
  let riskyTotal = 0;
  for (const [s, step] of workload().entries()) {
    let pending = step.length;
    const started = clock.now();
    for (const [c, call] of step.entries()) {
      // A per-call marker keeps each risky call's fingerprint distinct, so each is counted on its own.
      const params = call.risky ? { ...call.params, step: `${s}.${c}` } : call.params;
      if (call.risky) {
        riskyTotal++;
        risky.add(fingerprintAction({ name: call.name, resource: 'warehouse', params }));
      }
      calls++;
      void cs
        .guard(
          { name: call.name, resource: 'warehouse', params, run: () => true },
          {
            actor: 'agent:analyst',
            onBehalfOf: 'user:alice',
            reason: 'quarterly analysis',
            sessionId: 'analysis-1',
          },
        )
        .catch(() => false)
        .finally(() => {
          waitedMs += clock.now() - started;
          pending--;
        });
    }
    for (let i = 0; pending > 0 && i < 100_000; i++) await clock.advance(1_000);
  }
  const sessionMs = clock.now() - start;
  await cs.close();
  return {
    decisions: counts.decisions,
    asked,
    riskyAsked: riskyAsked.size,
    riskyTotal,
    waitedMs,
    sessionMs,
    calls,
  };
}

export async function approvalWorkload(): Promise<CaseResult> {
  const configurations: [string, PolicyRule[], boolean][] = [
    ['coarse policy: every read and export asks', COARSE, false],
    ['+ conditions (small reads allowed, risky exports singled out)', aimed(false), false],
    ['+ conditions + reuse windows (same table and destination, 30m)', aimed(true), false],
    ['+ conditions + reuse + batches (up to 12 non-risky per decision)', aimed(true), true],
  ];
  const results: [string, Outcome][] = [];
  for (const [name, policy, batching] of configurations)
    results.push([name, await runSession(policy, batching)]);
  const per100 = (outcome: Outcome) => ((outcome.decisions / outcome.calls) * 100).toFixed(1);
  const minutes = (ms: number) => `${(ms / 60_000).toFixed(0)} min`;
  const rows = results.map(([name, outcome], i) => ({
    name,
    baseline: i === 0,
    value: `${per100(outcome)} decisions / 100 calls; ${outcome.asked} asked; agents waited ${minutes(outcome.waitedMs)} in all; session ${minutes(outcome.sessionMs)}; risky asked ${outcome.riskyAsked}/${outcome.riskyTotal}`,
  }));
  const coarse = results[0]![1];
  const best = results[results.length - 1]![1];
  return {
    id: '8',
    title: 'A scripted 200-call data-analysis session: human decisions and agent waiting',
    rows,
    targets: [
      {
        what: 'every risky call asked a person, in every configuration',
        measured: results.map(([, o]) => `${o.riskyAsked}/${o.riskyTotal}`).join(', '),
        ok: results.every(([, o]) => o.riskyAsked === o.riskyTotal),
      },
      {
        what: 'conditions, reuse and batches need at most a third of the coarse policy’s decisions',
        measured: `${per100(best)} vs ${per100(coarse)} per 100 calls`,
        ok: best.decisions * 3 <= coarse.decisions,
      },
    ],
    notes: [
      'simulated time (the test clock): one approver works a queue, 60 s per decision plus 5 s per further request of a batch; risky (high-risk) requests are never batched',
      'the agent makes its 200 calls in steps of 1–6 parallel calls and waits for each step; "agents waited" sums every call’s wait',
      'run alone: `pnpm bench 8` (no timing on the real clock, so the figures are the same on every machine)',
    ],
  };
}
