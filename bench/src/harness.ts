import { measure } from 'mitata';

/** One measured line of a case: its distribution in nanoseconds, or a plain figure. */
export interface Row {
  name: string;
  /** Median, p99 and mean per operation, in nanoseconds; absent for throughput or memory rows. */
  p50?: number | undefined;
  p99?: number | undefined;
  avg?: number | undefined;
  /** A figure that is not a latency (a rate, a size), already formatted. */
  value?: string | undefined;
  /** Baselines are measured in the same run; other rows are compared with them. */
  baseline?: boolean | undefined;
}

export interface Target {
  what: string;
  measured: string;
  ok: boolean;
}

export interface CaseResult {
  id: string;
  title: string;
  rows: Row[];
  targets: Target[];
  notes: string[];
  skipped?: string | undefined;
}

export interface MeasureOptions {
  /** Time spent sampling, in ms. Default 1000. */
  ms?: number | undefined;
  /** Time every call on its own (true p99) instead of batching fast calls. */
  perCall?: boolean | undefined;
}

/** Median, p99 and mean of `fn` with mitata; async functions are awaited. */
export async function time(name: string, fn: () => unknown, options: MeasureOptions = {}): Promise<Row> {
  const stats = await measure(fn, {
    min_cpu_time: (options.ms ?? 1000) * 1e6,
    ...(options.perCall ? { batch_threshold: 0 } : {}),
  });
  return { name, p50: stats.p50, p99: stats.p99, avg: stats.avg };
}

/** Percentiles of raw per-call samples (ns), for cases timed by hand. */
export function summarise(name: string, samples: number[]): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const avg = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return { name, p50: at(0.5), p99: at(0.99), avg };
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc');
  collect();
  collect();
}

export function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

export function formatNs(ns: number | undefined): string {
  if (ns === undefined) return '';
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(2)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${bytes.toFixed(0)} B`;
  if (Math.abs(bytes) < 1024 * 1024) return `${(bytes / 1024).toFixed(2)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
