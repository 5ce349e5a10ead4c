// The architecture check CI runs (ARCHITECTURE.md): no import cycle in any package's src, type-only
// imports included; core's folders imported only downwards; no source file over 400 lines.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const MAX_LINES = 400;

/**
 * Core's folders, lowest first: a file imports from its own folder and from folders before it,
 * never after. A feature (`features/<name>/`) imports no other feature: the instance composes them.
 */
export const CORE_LAYERS = [
  'lib',
  'model',
  'contracts',
  'adapters',
  'policy',
  'runtime',
  'present',
  'guard',
  'decisions',
  'features',
  'instance',
  'testing',
] as const;
/** Core's src root holds only its public surface. */
const CORE_ROOT = new Set(['index.ts']);

export interface Problem {
  file: string;
  message: string;
}

/** `import … from './x.js'`, `export … from`, `import type`, and side-effect imports, relative only. */
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?'(\.{1,2}\/[^']+)'/g;

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) files.push(path);
    }
  };
  walk(dir);
  return files.sort();
}

/** Each file's relative imports, resolved to files. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) =>
      resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')),
    );
    graph.set(file, targets);
  }
  return graph;
}

/** Every strongly connected component of more than one file, and every file importing itself (Tarjan). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** Where a core file sits: its layer (first folder under src) and, for a feature, which one. */
function placeOf(src: string, file: string): { layer: string; feature: string | null } | null {
  const parts = relative(src, file).split(sep);
  if (parts.length === 1) return null;
  return { layer: parts[0]!, feature: parts[0] === 'features' && parts.length > 2 ? parts[1]! : null };
}

function checkCoreLayers(
  root: string,
  src: string,
  graph: ReadonlyMap<string, readonly string[]>,
): Problem[] {
  const problems: Problem[] = [];
  const rank = new Map<string, number>(CORE_LAYERS.map((layer, i) => [layer, i]));
  for (const [file, targets] of graph) {
    const where = relative(root, file);
    const from = placeOf(src, file);
    if (from === null) {
      if (!CORE_ROOT.has(relative(src, file))) {
        problems.push({ file: where, message: `core's src root holds only ${[...CORE_ROOT].join(', ')}` });
      }
      continue;
    }
    const fromRank = rank.get(from.layer);
    if (fromRank === undefined) {
      problems.push({
        file: where,
        message: `"${from.layer}" is not one of core's layers: ${CORE_LAYERS.join(', ')}`,
      });
      continue;
    }
    for (const target of targets) {
      const to = placeOf(src, target);
      const name = relative(src, target);
      if (to === null) {
        problems.push({ file: where, message: `imports ${name}, the public surface, from inside core` });
      } else if ((rank.get(to.layer) ?? Number.POSITIVE_INFINITY) > fromRank) {
        problems.push({
          file: where,
          message: `imports ${name}: ${from.layer}/ may not import the higher layer ${to.layer}/`,
        });
      } else if (from.feature !== null && to.feature !== null && from.feature !== to.feature) {
        problems.push({ file: where, message: `imports ${name}: a feature imports no other feature` });
      }
    }
  }
  return problems;
}

export function checkArchitecture(root = ROOT): Problem[] {
  const problems: Problem[] = [];
  const packages = join(root, 'packages');
  for (const name of readdirSync(packages).sort()) {
    const src = join(packages, name, 'src');
    try {
      statSync(src);
    } catch {
      continue;
    }
    const files = sourceFiles(src);
    const graph = importGraph(files);
    if (name === 'core') problems.push(...checkCoreLayers(root, src, graph));
    for (const component of cycles(graph)) {
      problems.push({
        file: relative(root, component[0]!),
        message: `import cycle: ${component.map((file) => relative(src, file)).join(', ')}`,
      });
    }
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n').length - 1;
      if (lines > MAX_LINES) {
        problems.push({
          file: relative(root, file),
          message: `${lines} lines, more than ${MAX_LINES}: split it by concept`,
        });
      }
    }
  }
  return problems;
}

if (process.argv[1] === import.meta.filename) {
  const problems = checkArchitecture();
  for (const problem of problems) console.error(`${problem.file}: ${problem.message}`);
  console.log(
    problems.length === 0
      ? "architecture: no import cycle, core's layers in order, no source file over 400 lines"
      : `architecture: ${problems.length} problem(s)`,
  );
  process.exit(problems.length === 0 ? 0 : 1);
}
