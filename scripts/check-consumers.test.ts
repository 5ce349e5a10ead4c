import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import {
  type ConsumerPackage,
  cjsProgram,
  declarationImports,
  entriesOf,
  esmProgram,
  manifestProblems,
  missingTypeDependencies,
  packageOf,
  specifierOf,
  typesPackageOf,
} from './check-consumers-programs.js';
import { typeProblems } from './check-consumers-types.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cs-consumers-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const store: ConsumerPackage = {
  name: '@countersign/postgres-store',
  entries: ['.'],
  dependencies: { pg: '^8.0.0', '@types/node': '>=22' },
  peerDependencies: { '@countersign/core': '^0.1.0' },
};
const shipsTypes = (name: string) => name !== 'pg';

test('types that import a package without types, with no @types package listed, are a problem naming it', () => {
  expect(missingTypeDependencies(store, ['pg', '@countersign/core'], shipsTypes)).toEqual([
    '@countersign/postgres-store: its types import pg, which has no types of its own: list @types/pg',
  ]);
  const listed = { ...store, dependencies: { ...store.dependencies, '@types/pg': '^8.0.0' } };
  expect(missingTypeDependencies(listed, ['pg', '@countersign/core'], shipsTypes)).toEqual([]);
});

test('types that import what package.json does not list, or a node: module without @types/node, are problems', () => {
  const bare = { ...store, dependencies: {} };
  expect(missingTypeDependencies(bare, ['hono/cookie', 'node:http', 'node:stream'], () => true)).toEqual([
    '@countersign/postgres-store: its types import hono/cookie: list hono as a dependency or peer dependency',
    '@countersign/postgres-store: its types import node:http: list @types/node',
    '@countersign/postgres-store: its types import node:stream: list @types/node',
  ]);
  expect(missingTypeDependencies(store, ['@countersign/core', 'node:http'], () => true)).toEqual([]);
});

test('the bare specifiers of a declaration file: imports, import types, references; never relative paths', () => {
  const dts = [
    '/// <reference types="node" />',
    "import type { Pool } from 'pg';",
    "export { x } from './x.js';",
    "export * from '@langchain/core/tools';",
    "import './side-effect.js';",
    "type T = import('hono').Context;",
    "declare const y: typeof import('../y.js');",
  ].join('\n');
  expect(declarationImports(dts)).toEqual(['@langchain/core/tools', 'hono', 'node', 'pg']);
  expect(['@langchain/core/tools', 'hono/cookie', 'node:http', 'pg'].map(packageOf)).toEqual([
    '@langchain/core',
    'hono',
    'node:http',
    'pg',
  ]);
  expect([typesPackageOf('pg'), typesPackageOf('@slack/types')]).toEqual([
    '@types/pg',
    '@types/slack__types',
  ]);
});

test('import paths are the exports map less ./package.json; a subpath becomes a specifier', () => {
  expect(entriesOf({ '.': {}, './testing': {}, './package.json': './package.json' })).toEqual([
    '.',
    './testing',
  ]);
  expect(entriesOf('./dist/index.js')).toEqual(['.']);
  expect(specifierOf('@countersign/core', './testing')).toBe('@countersign/core/testing');
});

test('an import path that exports nothing at run time cannot pass for a checked one', () => {
  const pkg: ConsumerPackage = { ...store, entries: ['.'] };
  expect(() => esmProgram(pkg, { '@countersign/postgres-store': [] })).toThrow(/exports nothing/);
  expect(() => cjsProgram(pkg, {})).toThrow(/exports nothing/);
  const program = esmProgram(pkg, { '@countersign/postgres-store': ['createPostgresStore', 'default'] });
  expect(program).toContain(
    "import { createPostgresStore as e0_createPostgresStore } from '@countersign/postgres-store';",
  );
});

test('the type check reports a TS7016 in our installed declarations and a wrong program, not faults of other packages', () => {
  const dir = project({
    'package.json': JSON.stringify({ type: 'module' }),
    'node_modules/untyped/package.json': JSON.stringify({ name: 'untyped', main: 'index.js' }),
    'node_modules/untyped/index.js': 'module.exports = {};',
    'node_modules/@countersign/x/package.json': JSON.stringify({
      name: '@countersign/x',
      type: 'module',
      exports: { '.': { types: './index.d.ts', default: './index.js' } },
    }),
    'node_modules/@countersign/x/index.d.ts':
      "import type { Thing } from 'untyped';\nexport declare const x: Thing;\n",
    'node_modules/other/package.json': JSON.stringify({
      name: 'other',
      type: 'module',
      exports: { '.': { types: './index.d.ts', default: './index.js' } },
    }),
    'node_modules/other/index.d.ts': 'export declare const o: DomOnlyType;\n',
    'esm/x.ts':
      "import { x } from '@countersign/x';\nimport { o } from 'other';\nexport const n: number = 'no';\nvoid x;\nvoid o;\n",
  });
  const problems = typeProblems(dir, 'nodenext').join('\n');
  expect(problems).toContain(
    "node_modules/@countersign/x/index.d.ts(1,28): error TS7016: Could not find a declaration file for module 'untyped'",
  );
  expect(problems).toContain('esm/x.ts(3,14): error TS2322');
  expect(problems).not.toContain('DomOnlyType');
});

test('a package.json without a license, engines or a default condition is not ready to publish', () => {
  const ready = {
    name: '@countersign/x',
    description: 'x',
    license: 'Apache-2.0',
    repository: { type: 'git', url: 'git+https://example.invalid/x.git' },
    engines: { node: '>=22' },
    files: ['dist'],
    types: './dist/index.d.ts',
    exports: {
      '.': {
        '@countersign/source': './src/index.ts',
        types: './dist/index.d.ts',
        import: './dist/index.js',
        default: './dist/index.js',
      },
      './package.json': './package.json',
    },
  };
  expect(manifestProblems(ready)).toEqual([]);
  const { license: _license, engines: _engines, ...bare } = ready;
  const importOnly = { ...bare, exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } };
  expect(manifestProblems(importOnly)).toEqual([
    '@countersign/x: package.json has no "license"',
    '@countersign/x: package.json has no "engines": { "node" }',
    '@countersign/x: exports["."] has no "default" condition',
    '@countersign/x: exports["."] must end with "default"',
  ]);
});
