// Ad hoc: one steady round of case 6 with profiled children (BENCH_CHILD_NODE_ARGS).
import { loadPg, loadStore } from './pg/load-store.js';
import { round } from './pg/round.js';

const URL_ = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = 'csb_prof';
const pg = loadPg();
const admin = new pg.Client({ connectionString: URL_ });
await admin.connect();
await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
const { createPostgresStore } = await loadStore();
const store = createPostgresStore({ connectionString: URL_, schema: SCHEMA });
await store.migrate();
await store.close();
const r = await round(admin, {
  url: URL_,
  schema: SCHEMA,
  tag: 'prof',
  workers: 4,
  warm: 50,
  measured: 1000,
  notifications: true,
  pollInterval: '1s',
  floor: process.argv[2] === 'floor',
});
console.log(
  `rate ${r.rate.toFixed(0)}/s node ${(r.nodeNs / 1e6).toFixed(2)} ms pg ${((r.pgNs ?? 0) / 1e6).toFixed(2)} ms`,
);
await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
await admin.end();
