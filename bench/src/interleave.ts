// interleave(): per-call samples of a case's rows, taken in alternating blocks, so every row is measured the same way on the same machine.
import { formatNs, type Row, shuffle, summarise, type Target } from './harness.js';

export interface Contender {
  name: string;
  /** Awaited on every call, sync or not, so every row pays the same await. */
  fn: () => unknown;
  baseline?: boolean | undefined;
}

export interface InterleaveOptions {
  /** Total sampling time across all rows, in ms. Default 1,000 per row. */
  ms?: number | undefined;
  /** Calls per block; each round runs one block of every row, in a new random order. Default 100. */
  block?: number | undefined;
  /** Untimed calls of every row first. Default 500. */
  warmup?: number | undefined;
  /** At least this many samples per row. Default 2,000. */
  minSamples?: number | undefined;
}

/**
 * Times every call on its own with `process.hrtime.bigint()` (never a batch mean: mitata's
 * warm-up heuristic switched fast rows between the two from run to run), one block of each row
 * per round, so drift on a shared host touches every row alike.
 */
export async function interleave(contenders: Contender[], options: InterleaveOptions = {}): Promise<Row[]> {
  const block = options.block ?? 100;
  const warmup = options.warmup ?? 500;
  const minSamples = options.minSamples ?? 2_000;
  const ms = options.ms ?? 1_000 * contenders.length;
  for (const contender of contenders) for (let i = 0; i < warmup; i++) await contender.fn();
  const samples = contenders.map(() => [] as number[]);
  const order = contenders.map((_, i) => i);
  const end = performance.now() + ms;
  while (performance.now() < end || samples.some((s) => s.length < minSamples)) {
    for (const i of shuffle(order)) {
      const fn = contenders[i]!.fn;
      const out = samples[i]!;
      for (let k = 0; k < block; k++) {
        const t0 = process.hrtime.bigint();
        await fn();
        out.push(Number(process.hrtime.bigint() - t0));
      }
    }
  }
  return contenders.map((contender, i) => ({
    ...summarise(contender.name, samples[i]!),
    ...(contender.baseline ? { baseline: true } : {}),
  }));
}

/**
 * A target stated as a ratio of two figures measured in the same run: prints the ratio and the
 * two figures that decide it. `format` formats the figures (latencies by default).
 */
export function ratioTarget(
  what: string,
  measured: number | undefined,
  baseline: number | undefined,
  max: number,
  format: (value: number) => string = formatNs,
): Target {
  const r = (measured ?? Number.NaN) / (baseline ?? Number.NaN);
  return {
    what,
    measured: `${r.toFixed(2)} × (${format(measured ?? Number.NaN)} / ${format(baseline ?? Number.NaN)})`,
    ok: r <= max,
  };
}
