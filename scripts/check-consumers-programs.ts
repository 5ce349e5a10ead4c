// What the consumer check (check-consumers.ts) writes and judges, kept free of processes and files so
// it can be tested: the small program per package, the consumer's tsconfigs, and the rule that a
// package's published types import only what its package.json brings.

/** One workspace package as a consumer sees it: its name, its import paths, what it depends on. */
export interface ConsumerPackage {
  name: string;
  /** The export subpaths a program imports: `'.'`, `'./testing'`; never `./package.json`. */
  entries: string[];
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}

/** The runtime export names of each import path of one package, e.g. `{ '@countersign/core': [...] }`. */
export type ExportNames = Record<string, string[]>;

/** `@countersign/core` + `'./testing'` → `@countersign/core/testing`. */
export function specifierOf(name: string, entry: string): string {
  return entry === '.' ? name : `${name}/${entry.replace(/^\.\//, '')}`;
}

/** `@countersign/memory-store` → `memory-store`: the program's file name. */
export function shortName(name: string): string {
  return name.replace(/^@[^/]+\//, '');
}

/** The import paths of a package.json `exports` map a consumer imports (subpath patterns are not used here). */
export function entriesOf(exports: unknown): string[] {
  if (typeof exports === 'string') return ['.'];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.keys(exports).filter((key) => key !== './package.json' && !key.includes('*'));
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The ES module program for one package: it imports every runtime export by name (so `tsc` proves
 * the published types declare each one) and fails if any is undefined when run.
 */
export function esmProgram(pkg: ConsumerPackage, names: ExportNames): string {
  const lines = [`// ${pkg.name} imported as an ES module, as a consumer's code would.`];
  const checks: string[] = [];
  pkg.entries.forEach((entry, index) => {
    const specifier = specifierOf(pkg.name, entry);
    const exported = usable(names[specifier]);
    const aliases = exported.map((name) => `${name} as e${index}_${name}`);
    lines.push(`import { ${aliases.join(', ')} } from '${specifier}';`);
    checks.push(
      `  ['${specifier}', { ${exported.map((name) => `${name}: e${index}_${name}`).join(', ')} }],`,
    );
  });
  lines.push(
    '',
    'const entries: [string, Record<string, unknown>][] = [',
    ...checks,
    '];',
    'for (const [specifier, values] of entries) {',
    '  const missing = Object.keys(values).filter((name) => values[name] === undefined);',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the generated program's own template
    "  if (missing.length > 0) throw new Error(`${specifier}: undefined at run time: ${missing.join(', ')}`);",
    '}',
    `export const checked: number = ${pkg.entries.length};`,
    '',
  );
  return lines.join('\n');
}

/**
 * The CommonJS program for one package: `require()` of each import path (Node 22.12+ and 24 load ES
 * modules this way), typed as `typeof import(...)`, with the same export names present.
 */
export function cjsProgram(pkg: ConsumerPackage, names: ExportNames): string {
  const lines = [`// ${pkg.name} loaded with require(), as a CommonJS consumer's code would.`];
  const checks: string[] = [];
  pkg.entries.forEach((entry, index) => {
    const specifier = specifierOf(pkg.name, entry);
    lines.push(`const m${index}: typeof import('${specifier}') = require('${specifier}');`);
    const exported = usable(names[specifier]);
    checks.push(`  ['${specifier}', m${index}, [${exported.map((name) => `'${name}'`).join(', ')}]],`);
  });
  lines.push(
    '',
    'const entries: [string, object, string[]][] = [',
    ...checks,
    '];',
    'for (const [specifier, loaded, expected] of entries) {',
    '  const missing = expected.filter((name) => (loaded as Record<string, unknown>)[name] === undefined);',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the generated program's own template
    "  if (missing.length > 0) throw new Error(`${specifier}: undefined through require(): ${missing.join(', ')}`);",
    '}',
    `module.exports = { checked: ${pkg.entries.length} };`,
    '',
  );
  return lines.join('\n');
}

/**
 * The one script each Node runs: every package's ES module program through import() and its
 * CommonJS program through require(), each failure reported with its package and the exit code set.
 */
export function runnerProgram(programs: string[]): string {
  return [
    "import { createRequire } from 'node:module';",
    'const require = createRequire(import.meta.url);',
    `for (const name of ${JSON.stringify(programs)}) {`,
    '  const loads = [',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the generated program's own template
    "    ['import()', () => import(`./esm/${name}.ts`)],",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the generated program's own template
    "    ['require()', async () => require(`./cjs/${name}.cts`)],",
    '  ];',
    '  for (const [how, load] of loads) {',
    '    try {',
    '      await load();',
    '    } catch (error) {',
    '      process.exitCode = 1;',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the generated program's own template
    '      console.log(`${name} through ${how}: ${error?.stack ?? error}`);',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

function usable(names: string[] | undefined): string[] {
  if (names === undefined || names.length === 0)
    throw new Error('an import path exports nothing at run time');
  return names.filter((name) => name !== 'default' && IDENTIFIER.test(name)).sort();
}

/** The consumer's tsconfig for one module resolution: strict, and every published .d.ts checked. */
export function consumerTsconfig(resolution: 'nodenext' | 'bundler'): object {
  const module = resolution === 'nodenext' ? 'nodenext' : 'preserve';
  return {
    compilerOptions: {
      strict: true,
      target: 'es2022',
      lib: ['es2023'],
      module,
      moduleResolution: resolution,
      noEmit: true,
      // Off, as in `tsc --strict` with no tsconfig: an import our .d.ts makes that the install
      // does not bring (TS7016, TS2307) is reported in the .d.ts, which skipLibCheck would hide.
      // (check-consumers-types.ts reports only the consumer's files and ours.)
      skipLibCheck: false,
    },
    include: resolution === 'nodenext' ? ['esm/*.ts', 'cjs/*.cts'] : ['esm/*.ts'],
  };
}

/** The bare module specifiers a declaration file imports or references (`node:http`, `pg`, `hono/cookie`). */
export function declarationImports(dts: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\/\/\/\s*<reference\s+types\s*=\s*['"]([^'"]+)['"]/g,
  ];
  for (const pattern of patterns) {
    for (const match of dts.matchAll(pattern)) {
      const specifier = match[1]!;
      if (!specifier.startsWith('.') && !specifier.startsWith('/')) found.add(specifier);
    }
  }
  return [...found].sort();
}

/** `@scope/name/sub/path.js` → `@scope/name`; `pg` → `pg`; `node:http` → `node:http`. */
export function packageOf(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** `pg` → `@types/pg`; `@scope/name` → `@types/scope__name`. */
export function typesPackageOf(name: string): string {
  return name.startsWith('@') ? `@types/${name.slice(1).replace('/', '__')}` : `@types/${name}`;
}

/**
 * What a package's published types import that its package.json does not bring to a consumer: each
 * imported package must be a dependency or peer dependency, and when it ships no types, so must its
 * `@types` package; `node:` modules need `@types/node`. `shipsTypes` answers for an installed package.
 */
export function missingTypeDependencies(
  pkg: ConsumerPackage,
  specifiers: string[],
  shipsTypes: (name: string) => boolean,
): string[] {
  const brought = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
  const problems = new Set<string>();
  for (const specifier of specifiers) {
    const name = packageOf(specifier);
    if (name.startsWith('node:')) {
      if (!brought.has('@types/node')) problems.add(`its types import ${specifier}: list @types/node`);
      continue;
    }
    if (name === pkg.name || name.startsWith('@types/')) continue;
    if (!brought.has(name)) {
      problems.add(`its types import ${specifier}: list ${name} as a dependency or peer dependency`);
    } else if (!shipsTypes(name) && !brought.has(typesPackageOf(name))) {
      problems.add(`its types import ${name}, which has no types of its own: list ${typesPackageOf(name)}`);
    }
  }
  return [...problems].map((problem) => `${pkg.name}: ${problem}`);
}

/**
 * What a package.json needs before it is published: a license, the repository, the Node it runs on,
 * the files it ships, and for each import path the conditions a consumer's tools look for (`types`
 * for TypeScript, `import` for ES modules, `default` for require() and everything else).
 */
export function manifestProblems(manifest: Record<string, unknown>): string[] {
  const name = String(manifest.name);
  const problems: string[] = [];
  for (const field of ['description', 'license', 'repository', 'files', 'exports', 'types']) {
    if (manifest[field] === undefined) problems.push(`${name}: package.json has no "${field}"`);
  }
  const engines = manifest.engines as Record<string, string> | undefined;
  if (engines?.node === undefined) problems.push(`${name}: package.json has no "engines": { "node" }`);
  const exports = (manifest.exports ?? {}) as Record<string, unknown>;
  for (const entry of entriesOf(exports)) {
    const target = exports[entry];
    const conditions = target !== null && typeof target === 'object' ? Object.keys(target) : [];
    for (const condition of ['types', 'import', 'default']) {
      if (!conditions.includes(condition))
        problems.push(`${name}: exports["${entry}"] has no "${condition}" condition`);
    }
    const last = conditions.at(-1);
    if (conditions.length > 0 && last !== 'default')
      problems.push(`${name}: exports["${entry}"] must end with "default"`);
  }
  return problems;
}
