import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { checkSnippets, extractSnippets } from './check-readme-snippets.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A repo with the strict settings that matter here (no `types`: the fake root has no node_modules). */
function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cs-snippets-'));
  roots.push(root);
  const compilerOptions = {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
  };
  writeFileSync(join(root, 'tsconfig.base.json'), JSON.stringify({ compilerOptions }));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const lines = (report: ReturnType<typeof checkSnippets>) =>
  report.problems.map((problem) => `${problem.file}:${problem.line}`);

test('a block that does not compile fails at its Markdown line, in every file searched', () => {
  const root = repo({
    'README.md': '# x\n\n```ts\nconst ok: number = 1;\nawait Promise.resolve(ok);\n```\n',
    'docs/guide.md': [
      '# Guide',
      '',
      '```sh',
      'not typescript at all',
      '```',
      '',
      '```typescript',
      'const n = 1;',
      "const wrong: number = 'two';",
      '```',
      '',
    ].join('\n'),
  });
  const report = checkSnippets(root);
  expect(report.snippets).toHaveLength(2);
  expect(lines(report)).toEqual(['docs/guide.md:9']);
  expect(report.problems[0]!.message).toContain("Type 'string' is not assignable to type 'number'");
});

test('each block is its own module: the same name in two blocks does not clash', () => {
  const root = repo({ 'README.md': '```ts\nconst cs = 1;\n```\n\n```ts\nconst cs = 2;\n```\n' });
  expect(checkSnippets(root).problems).toEqual([]);
});

test('a block marked partial is not checked, and counted', () => {
  const root = repo({
    'README.md':
      'text\n\n<!-- snippet: partial -->\n```ts\npolicy: [ this is not code\n```\n\n```ts\nconst x: string = 1;\n```\n',
  });
  const report = checkSnippets(root);
  expect(report.partial).toBe(1);
  expect(lines(report)).toEqual(['README.md:9']);
});

test("a prelude's declarations are checked with the block; its own errors point at its lines", () => {
  const root = repo({
    'README.md': [
      '<!-- snippet: prelude',
      'declare const store: { close(): Promise<void> };',
      'declare const broken: number = 1;',
      '-->',
      '```ts',
      'await store.close();',
      'await store.open();',
      '```',
    ].join('\n'),
  });
  expect(lines(checkSnippets(root))).toEqual(['README.md:3', 'README.md:7']);
});

test("a prelude's `...` line stands for the block, so an object's inside can be checked", () => {
  const root = repo({
    'README.md': [
      '<!-- snippet: prelude',
      'const options: { id: string; ttl?: number } = {',
      '...',
      '};',
      '-->',
      '```ts',
      "id: 'a',",
      "ttl: '60s',",
      '```',
    ].join('\n'),
  });
  expect(lines(checkSnippets(root))).toEqual(['README.md:8']);
});

test('an unknown, misspelt or stray marker is a problem, not a silently skipped block', () => {
  const { problems, snippets } = extractSnippets(
    [
      '<!-- snippet: partal -->',
      '```ts',
      'const a = 1;',
      '```',
      '<!-- snippet: partial -->',
      'A paragraph, then the block.',
      '```ts',
      'const b = 1;',
      '```',
      '<!-- snippet: partial -->',
      '```sh',
      'ls',
      '```',
      '<!-- snippet: prelude',
      'declare const c: number;',
    ].join('\n'),
    'README.md',
  );
  expect(problems.map((problem) => `${problem.line}: ${problem.message}`)).toEqual([
    '1: unknown snippet marker "partal": use partial or prelude',
    '5: a snippet marker must come right before a ```ts block',
    '10: a snippet marker must come right before a ```ts block',
    '14: the snippet prelude has no closing -->',
    '14: a snippet marker must come right before a ```ts block',
  ]);
  // Both blocks the bad markers were meant for are still checked.
  expect(snippets.map((snippet) => snippet.lines[0])).toEqual([3, 8]);
});

test('an indented block (in a list) loses its indentation and keeps its lines', () => {
  const { snippets } = extractSnippets(
    '- step\n\n  ```ts\n  const a = 1;\n    const b = 2;\n  ```\n',
    'x.md',
  );
  expect(snippets).toEqual([{ file: 'x.md', code: 'const a = 1;\n  const b = 2;', lines: [4, 5] }]);
});
