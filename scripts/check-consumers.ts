// The consumer check CI runs: what someone gets who installs the packages with npm. Packs every
// package (run `pnpm build` first), installs all the tarballs with npm into one fresh project, then
// per package type-checks a small program with `tsc --strict` (moduleResolution nodenext and
// bundler, every published .d.ts checked) and runs it with import() and require() on Node 24 and 22.
// It also checks statically that each package's declarations import only what its package.json brings.
// Node 22: COUNTERSIGN_NODE22 (a node binary), else the one .ci/run keeps in the cache. `--keep` keeps
// the temporary project and prints where it is.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type ConsumerPackage,
  cjsProgram,
  declarationImports,
  type ExportNames,
  entriesOf,
  esmProgram,
  manifestProblems,
  missingTypeDependencies,
  runnerProgram,
  shortName,
  specifierOf,
} from './check-consumers-programs.js';
import { typeProblemsInWorker } from './check-consumers-types.js';

const ROOT = resolve(import.meta.dirname, '..');

/** A reason the check cannot go on; reported once, after the temporary project is removed. */
class CheckStopped extends Error {}

function fail(message: string): never {
  throw new CheckStopped(message);
}

interface Run {
  code: number;
  output: string;
}

/** Runs a command to its end, output captured (printed by the caller when it matters). */
function run(
  command: string,
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Run> {
  return new Promise((done, reject) => {
    const child = spawn(command, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

async function mustRun(what: string, command: string, argv: string[], cwd: string): Promise<string> {
  const result = await run(command, argv, cwd);
  if (result.code !== 0) fail(`${what} failed (exit ${result.code}):\n${result.output}`);
  return result.output;
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function record(value: unknown): Record<string, string> {
  return (value ?? {}) as Record<string, string>;
}

function node22(): string {
  const cached = join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
    'countersign-ci/node-22/node_modules/.bin/node',
  );
  const binary = process.env.COUNTERSIGN_NODE22 ?? cached;
  if (!existsSync(binary)) fail(`no Node 22 at ${binary}: set COUNTERSIGN_NODE22 to a Node 22 binary`);
  return binary;
}

async function main(): Promise<void> {
  const started = performance.now();
  const args = process.argv.slice(2);
  for (const arg of args) if (arg !== '--keep') fail(`unknown argument ${arg}: the only option is --keep`);
  const keep = args.includes('--keep');
  const node24 = process.execPath;
  if (!process.versions.node.startsWith('24.'))
    fail(`run on Node 24 (pnpm check:consumers), not ${process.version}`);
  const nodes = { '24': node24, '22': node22() };

  const packages: (ConsumerPackage & { dir: string; version: string; bin: Record<string, string> })[] =
    readdirSync(join(ROOT, 'packages'))
      .sort()
      .map((folder) => {
        const dir = join(ROOT, 'packages', folder);
        const manifest = readJson(join(dir, 'package.json'));
        return {
          dir,
          name: String(manifest.name),
          version: String(manifest.version),
          bin: record(manifest.bin),
          entries: entriesOf(manifest.exports),
          dependencies: record(manifest.dependencies),
          peerDependencies: record(manifest.peerDependencies),
        };
      });
  for (const pkg of packages) {
    if (!existsSync(join(pkg.dir, 'dist', 'index.d.ts')))
      fail(`${pkg.name} is not built: run pnpm build first`);
  }
  const problems = packages.flatMap((pkg) => manifestProblems(readJson(join(pkg.dir, 'package.json'))));

  const work = mkdtempSync(join(tmpdir(), 'countersign-consumers-'));
  const tarballs = join(work, 'tarballs');
  const project = join(work, 'consumer');
  const timings: string[] = [];
  const lap = (what: string, since: number) =>
    timings.push(`${what} ${((performance.now() - since) / 1000).toFixed(1)}s`);

  try {
    // 1. Pack: pnpm pack turns workspace: ranges into versions, as publishing does.
    let since = performance.now();
    const pnpm = process.env.npm_execpath;
    const packArgs = ['-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballs];
    if (pnpm?.endsWith('.cjs') || pnpm?.endsWith('.js')) {
      await mustRun('pnpm pack', node24, [pnpm, ...packArgs], ROOT);
    } else {
      await mustRun('pnpm pack', 'npx', ['--yes', 'pnpm@10', ...packArgs], ROOT);
    }
    const packed = readdirSync(tarballs).filter((file) => file.endsWith('.tgz'));
    lap('pack', since);

    // 2. One project, one npm install; third-party packages come from npm's cache when it has them.
    since = performance.now();
    mkdirSync(join(project, 'esm'), { recursive: true });
    mkdirSync(join(project, 'cjs'), { recursive: true });
    const dependencies: Record<string, string> = {};
    for (const pkg of packages) {
      const tarball = packed.find(
        (file) => file === `${pkg.name.slice(1).replace('/', '-')}-${pkg.version}.tgz`,
      );
      if (tarball === undefined) fail(`pnpm pack made no tarball for ${pkg.name}`);
      dependencies[pkg.name] = `file:../tarballs/${tarball}`;
    }
    // An optional peer that @countersign/opentelemetry's types import: a consumer of it installs it.
    const otel = packages.find((pkg) => pkg.name === '@countersign/opentelemetry');
    const otelApi = otel?.peerDependencies['@opentelemetry/api'];
    if (otelApi !== undefined) dependencies['@opentelemetry/api'] = otelApi;
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'countersign-consumer', private: true, type: 'module', dependencies }, null, 2)}\n`,
    );
    await mustRun(
      'npm install',
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
      project,
    );
    lap('npm install', since);

    // 3. Static: what each package's declarations import, against what its package.json brings.
    const installed = join(project, 'node_modules');
    const shipsTypes = (name: string) => {
      const dir = join(installed, name);
      if (!existsSync(join(dir, 'package.json'))) return false;
      const manifest = readJson(join(dir, 'package.json'));
      return (
        manifest.types !== undefined ||
        manifest.typings !== undefined ||
        JSON.stringify(manifest.exports ?? {}).includes('"types"') ||
        existsSync(join(dir, 'index.d.ts'))
      );
    };
    for (const pkg of packages) {
      const dist = join(installed, pkg.name, 'dist');
      const specifiers = new Set<string>();
      for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
        if (file.endsWith('.d.ts'))
          for (const found of declarationImports(readFileSync(join(dist, file), 'utf8')))
            specifiers.add(found);
      }
      problems.push(...missingTypeDependencies(pkg, [...specifiers], shipsTypes));
    }

    // 4. The runtime export names of every import path, from Node 24, then one program per package.
    since = performance.now();
    const specifiers = packages.flatMap((pkg) => pkg.entries.map((entry) => specifierOf(pkg.name, entry)));
    const listing = await mustRun(
      'listing exports',
      node24,
      [
        '--input-type=module',
        '-e',
        `const out = {}; for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(await import(s)); console.log(JSON.stringify(out));`,
      ],
      project,
    );
    const names = JSON.parse(listing.trim().split('\n').at(-1) ?? '{}') as ExportNames;
    for (const pkg of packages) {
      writeFileSync(join(project, 'esm', `${shortName(pkg.name)}.ts`), esmProgram(pkg, names));
      writeFileSync(join(project, 'cjs', `${shortName(pkg.name)}.cts`), cjsProgram(pkg, names));
    }
    writeFileSync(join(project, 'run.mjs'), runnerProgram(packages.map((pkg) => shortName(pkg.name))));

    // 5. The programs on both Nodes (child processes) while two worker threads type-check them.
    const runs: [string, Promise<Run>][] = Object.entries(nodes).map(([major, binary]) => [
      `import() and require() on Node ${major}`,
      // Type stripping runs the .ts programs; its warnings and require(esm)'s on Node 22 are noise here.
      run(binary, ['--disable-warning=ExperimentalWarning', 'run.mjs'], project),
    ]);
    // Each command a package installs starts and prints its usage (a missing dependency would crash it).
    const bins: [string, Promise<Run>][] = packages.flatMap((pkg) =>
      Object.entries(pkg.bin).flatMap(([command, path]) =>
        Object.entries(nodes).map(([major, binary]): [string, Promise<Run>] => [
          `${command} --help on Node ${major}`,
          run(binary, [join(installed, pkg.name, path), '--help'], project),
        ]),
      ),
    );
    const resolutions = ['nodenext', 'bundler'] as const;
    const typing = performance.now();
    const typed = await Promise.all(
      resolutions.map((resolution) => typeProblemsInWorker(project, resolution)),
    );
    resolutions.forEach((resolution, index) => {
      const found = typed[index] ?? [];
      if (found.length > 0)
        problems.push(`tsc --strict, moduleResolution ${resolution}:\n${found.join('\n')}`);
    });
    lap('tsc nodenext and bundler', typing);
    for (const [what, pending] of runs) {
      const result = await pending;
      if (result.code !== 0) problems.push(`${what}:\n${result.output.trimEnd()}`);
    }
    for (const [what, pending] of bins) {
      const result = await pending;
      if (!/usage:/i.test(result.output))
        problems.push(`${what} printed no usage:\n${result.output.trimEnd()}`);
    }
    lap('types and runs', since);
  } finally {
    const since = performance.now();
    if (keep) console.log(`check-consumers: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
    lap('clean-up', since);
  }

  const entryCount = packages.reduce((sum, pkg) => sum + pkg.entries.length, 0);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (problems.length > 0) {
    for (const problem of problems) console.error(problem);
    console.error(`check-consumers: ${problems.length} problem(s) in ${seconds}s (${timings.join(', ')})`);
    process.exit(1);
  }
  console.log(
    `check-consumers: ${packages.length} packages (${entryCount} import paths) install with npm, type-check under ` +
      `tsc --strict with nodenext and bundler, load with import() and require(), commands print their usage, on Node ${Object.keys(nodes).join(' and ')}: ` +
      `${seconds}s (${timings.join(', ')})`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof CheckStopped ? `check-consumers: ${error.message}` : error);
  process.exitCode = 1;
});
