// Allow-path cost of instrument(): uninstrumented, no SDK registered, an SDK exporting nothing, an SDK recording.
import { type Countersign, createCountersign } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { instrument } from '../src/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const CALLS = Number(process.env.CALLS ?? 2_000);
const context = { actor: 'agent:bench', reason: 'bench', sessionId: 'sess_bench' };
const action = { name: 'db.read', resource: 'prod/db', params: { table: 'orders' }, run: () => 1 };

class DiscardingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function plain(): Countersign {
  return createCountersign({
    store: createMemoryStore(),
    transports: [{ name: 'bench', deliver: async () => ({}) }],
    policy: [{ id: 'reads-ok', match: { action: 'db.read' }, effect: 'allow' }],
  });
}

const exporter = new InMemorySpanExporter();
const variants: { name: string; cs: Countersign }[] = [
  { name: 'uninstrumented', cs: plain() },
  { name: 'instrumented, no SDK registered (telemetry off)', cs: instrument(plain()) },
  {
    name: 'instrumented, SDK providers exporting nothing',
    cs: instrument(plain(), {
      tracerProvider: new BasicTracerProvider(),
      meterProvider: new MeterProvider(),
    }),
  },
  {
    name: 'instrumented, SDK recording (in-memory exporter, reader)',
    cs: instrument(plain(), {
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
      meterProvider: new MeterProvider({ readers: [new DiscardingReader()] }),
    }),
  },
];

async function batch(cs: Countersign, calls: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await cs.guard(action, context);
  return Number(process.hrtime.bigint() - start) / calls / 1_000;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

for (const { cs } of variants) await batch(cs, CALLS);
const samples = variants.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) {
  // Rotating the order spreads the host's drift over every variant.
  for (let k = 0; k < variants.length; k++) {
    const i = (round + k) % variants.length;
    samples[i]!.push(await batch(variants[i]!.cs, CALLS));
    exporter.reset();
  }
}

const base = median(samples[0]!);
console.log(
  `guard() allow path, ${ROUNDS} rounds x ${CALLS} calls, median of per-round means, Node ${process.version}`,
);
console.log('| variant | µs per call | ratio to uninstrumented |');
console.log('| --- | ---: | ---: |');
for (const [i, { name }] of variants.entries()) {
  const us = median(samples[i]!);
  console.log(`| ${name} | ${us.toFixed(2)} | ${(us / base).toFixed(2)} |`);
}
for (const { cs } of variants) await cs.close();
