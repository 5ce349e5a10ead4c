// One run of case 6's agents against its approval server, each a process: resume latency, steady approvals/s, CPU.
import type pg from 'pg';
import { between, type ChildEvent, child } from './child.js';
import { BackendCpu } from './cpu.js';

export interface RoundOptions {
  url: string;
  schema: string;
  /** Names this round's connections (application_name), so its server processes can be found. */
  tag: string;
  workers: number;
  /** Approvals per worker before the measured window opens. */
  warm: number;
  /** Approvals measured, in all: the window closes when this many more have started to run. */
  measured: number;
  notifications: boolean;
  pollInterval: string;
  /** Another build's store for every process of the round (before/after in one run). */
  store?: string | undefined;
  /** The floor instead of countersign: pg-floor.ts as agents and approval server. */
  floor?: boolean | undefined;
}

export interface RoundResult {
  /** Per approval, ns: decide() returned in the approval server → the action starts in the agent. */
  resumeFromAck: number[];
  /** Per approval, ns: the decision's committing statement sent → the action starts (exact with one worker). */
  resumeFromSend: number[];
  /** Approvals per second in the window, by the agents' own clock readings as each action starts. */
  rate: number;
  /** Approvals in the window. */
  count: number;
  /** Node CPU in the window, all processes (agents and approval server), ns per approval. */
  nodeNs: number;
  /** PostgreSQL backend CPU in the window, ns per approval, or null where /proc cannot be read. */
  pgNs: number | null;
  backends: number;
  /** Sealing lag of the agents' writes, ms per write. */
  sealLags: number[];
}

export async function round(admin: pg.Client, options: RoundOptions): Promise<RoundResult> {
  const prefix = `csb_${options.tag}_`;
  const backendCpu = new BackendCpu(admin, prefix);
  const decided = new Map<string, { sent: string; at: string }>();
  const ran = new Map<string, string>();
  const cpu = new Map<string, number>();
  const sealLags: number[] = [];
  const perWorker = options.warm + Math.ceil(options.measured / options.workers);
  // A tail after the window, so it closes while every worker is still busy.
  const jobs = perWorker + 10;
  const opensAt = options.warm * options.workers;
  const closesAt = opensAt + options.measured;
  let started = 0;
  let window: { at: string; cpu: number; atEnd?: string; cpuEnd?: number } | null = null;
  let pg0: Promise<void> | null = null;
  let pg1: Promise<{ ns: number; backends: number }> | null = null;
  const nodeCpu = () => [...cpu.values()].reduce((sum, us) => sum + us, 0) * 1_000;

  let ready: () => void = () => {};
  const approverReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const approver = child(
    options.floor ? 'pg-floor.ts' : 'pg-approver.ts',
    { url: options.url, schema: options.schema, appName: `${prefix}server` },
    (event: ChildEvent) => {
      if (event.event === 'ready') ready();
      if (event.cpu !== undefined) cpu.set('server', event.cpu);
      if (event.event === 'decided' && event.id && event.sent && event.at) {
        decided.set(event.id, { sent: event.sent, at: event.at });
      }
      if (event.event === 'failed') throw new Error(`decide failed: ${event.error}`);
    },
    options.store,
    options.floor ? ['server'] : [],
  );
  await approverReady;
  const agents = Array.from({ length: options.workers }, (_, i) =>
    child(
      options.floor ? 'pg-floor.ts' : 'pg-agent.ts',
      {
        url: options.url,
        schema: options.schema,
        appName: `${prefix}agent${i}`,
        notifications: options.notifications,
        pollInterval: options.pollInterval,
        jobs,
        worker: i,
      },
      (event: ChildEvent) => {
        if (event.cpu !== undefined) cpu.set(`agent${i}`, event.cpu);
        if (event.event === 'requested' && event.id) approver.process.stdin!.write(`${event.id}\n`);
        else if (event.event === 'ran' && event.id && event.at) {
          ran.set(event.id, event.at);
          started += 1;
          if (started === opensAt) {
            window = { at: event.at, cpu: nodeCpu() };
            pg0 = backendCpu.mark();
          } else if (started === closesAt && window !== null) {
            window.atEnd = event.at;
            window.cpuEnd = nodeCpu();
            pg1 = (pg0 ?? Promise.resolve()).then(() => backendCpu.since());
          }
        } else if (event.event === 'sealed' && event.waitedMs) sealLags.push(...event.waitedMs);
      },
      options.store,
      options.floor ? ['agent'] : [],
    ),
  );
  await Promise.all(agents.map((agent) => agent.exited));
  approver.process.stdin!.end();
  await approver.exited;
  const w = window as { at: string; cpu: number; atEnd?: string; cpuEnd?: number } | null;
  if (w?.atEnd === undefined || w.cpuEnd === undefined || pg1 === null) {
    throw new Error(`the measured window did not close: ${started} of ${closesAt} approvals ran`);
  }
  const backends = await (pg1 as Promise<{ ns: number; backends: number }>);
  const count = options.measured;
  const resumeFromAck: number[] = [];
  const resumeFromSend: number[] = [];
  for (const [id, at] of ran) {
    const decision = decided.get(id);
    if (decision === undefined) continue;
    resumeFromAck.push(between(decision.at, at));
    resumeFromSend.push(between(decision.sent, at));
  }
  return {
    resumeFromAck,
    resumeFromSend,
    rate: count / (between(w.at, w.atEnd) / 1e9),
    count,
    nodeNs: (w.cpuEnd - w.cpu) / count,
    pgNs: backendCpu.available ? backends.ns / count : null,
    backends: backends.backends,
    sealLags,
  };
}
