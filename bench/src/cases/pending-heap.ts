// Diagnostic: what N pending guards hold, from two heap snapshots (nodes new in the second, grouped by type,
// properties and first retainer). `node --import tsx --expose-gc src/cases/pending-heap.ts 2000`
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeHeapSnapshot } from 'node:v8';
import type { ApprovalRequest, Transport } from '@countersign/core';
import { CONTEXT, createBenchCountersign, EXPORT } from '../fixtures.js';

const N = Number(process.argv[2] ?? 2000);
const ids: string[] = [];
const transport: Transport = {
  name: 'ids',
  async deliver(request: ApprovalRequest) {
    ids.push(request.id);
    return { id: request.id };
  },
};
const cs = createBenchCountersign({ transports: [transport] });
const warm = cs.guard({ ...EXPORT, run: () => 0 }, CONTEXT);
while (ids.length < 1) await new Promise((r) => setImmediate(r));
await cs.decide(ids[0]!, { approver: 'user:bob', outcome: 'approve' });
await warm;
ids.length = 0;
const params = Array.from({ length: N }, (_, i) => ({ table: 'customers', row: i }));
const actions = params.map((p) => ({ ...EXPORT, params: p, run: () => p.row }));
const guards: Promise<number>[] = [];
(globalThis as { gc?: () => void }).gc?.();
const a = writeHeapSnapshot(`${tmpdir()}/pending-heap-a.heapsnapshot`);
for (let i = 0; i < N; i++) guards.push(cs.guard(actions[i]!, CONTEXT));
while (ids.length < N) await new Promise((r) => setImmediate(r));
await new Promise((r) => setImmediate(r));
(globalThis as { gc?: () => void }).gc?.();
const b = writeHeapSnapshot(`${tmpdir()}/pending-heap-b.heapsnapshot`);

function load(file: string) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const f = snap.snapshot.meta.node_fields as string[];
  const types = snap.snapshot.meta.node_types[0] as string[];
  const nodes = snap.nodes as number[];
  const strings = snap.strings as string[];
  const w = f.length;
  const ti = f.indexOf('type'),
    ni = f.indexOf('name'),
    ii = f.indexOf('id'),
    si = f.indexOf('self_size');
  const ef = snap.snapshot.meta.edge_fields as string[];
  const etypes = snap.snapshot.meta.edge_types[0] as string[];
  const ew = ef.length;
  const edges = snap.edges as number[];
  const eci = f.indexOf('edge_count');
  const out = new Map<
    number,
    { type: string; name: string; size: number; props: string; retainer: string }
  >();
  const byIndex: { type: string; name: string; size: number; props: string; retainer: string }[] = [];
  let e = 0;
  const pending: [number, number, string][] = [];
  for (let i = 0; i < nodes.length; i += w) {
    const node = {
      type: types[nodes[i + ti]!]!,
      name: strings[nodes[i + ni]!]!,
      size: nodes[i + si]!,
      props: '',
      retainer: '',
    };
    const props: string[] = [];
    for (let k = 0; k < nodes[i + eci]!; k++, e += ew) {
      const et = etypes[edges[e]!]!;
      const en = et === 'element' || et === 'hidden' ? String(edges[e + 1]) : strings[edges[e + 1]!]!;
      if (et === 'property' || et === 'internal') props.push(en);
      if (et !== 'weak' && et !== 'shortcut')
        pending.push([i / w, edges[e + 2]! / w, `${et}:${et === 'element' ? '[]' : en}`]);
    }
    node.props = props.slice(0, 8).join(',');
    byIndex.push(node);
    out.set(nodes[i + ii]!, node);
  }
  for (const [from, to, en] of pending) {
    const t = byIndex[to]!;
    if (t.retainer === '') t.retainer = `${byIndex[from]!.type}:${byIndex[from]!.name}.${en}`;
  }
  return out;
}
const before = load(a);
const after = load(b);
const groups = new Map<string, { count: number; size: number }>();
let total = 0;
for (const [id, node] of after) {
  if (before.has(id)) continue;
  let name = node.name;
  if (node.type === 'string' || node.type === 'concatenated string' || node.type === 'sliced string')
    name = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  if (node.type === 'string')
    name = /^req_|^[0-9a-f-]{20,}/.test(name) ? '(id-like)' : name.replace(/\d+/g, '#');
  const key =
    `${node.type}:${name}` +
    (node.type === 'object' ||
    node.type === 'closure' ||
    node.type === 'array' ||
    node.type.includes('string') ||
    node.type === 'number'
      ? ` {${node.props.replace(/\d+/g, '#').slice(0, 90)}} <- ${node.retainer.replace(/\d+/g, '#').slice(0, 60)}`
      : '');
  const g = groups.get(key) ?? { count: 0, size: 0 };
  g.count++;
  g.size += node.size;
  total += node.size;
  groups.set(key, g);
}
const rows = [...groups].sort((x, y) => y[1].size - x[1].size).slice(0, 400);
console.log(`new nodes total ${(total / N).toFixed(0)} B per request (${N})`);
for (const [k, g] of rows)
  console.log(
    `${(g.size / N).toFixed(1).padStart(8)} B/req ${(g.count / N).toFixed(2).padStart(6)}/req  ${k}`,
  );
void guards;
process.exit(0);
