import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { checkArchitecture } from './check-architecture.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cs-architecture-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('a cycle closed only through type imports is found, in any package', () => {
  const root = tree({
    'packages/a/src/x.ts': "import type { Y } from './y.js';\nexport type X = Y;\n",
    'packages/a/src/y.ts': "import { type Z } from './deep/z.js';\nexport type Y = Z;\n",
    'packages/a/src/deep/z.ts': "export type { X as Z } from '../x.js';\n",
    'packages/b/src/ok.ts': "import { x } from './leaf.js';\nexport const ok = x;\n",
    'packages/b/src/leaf.ts': 'export const x = 1;\n',
  });
  expect(checkArchitecture(root)).toEqual([
    { file: 'packages/a/src/deep/z.ts', message: 'import cycle: deep/z.ts, x.ts, y.ts' },
  ]);
});

test('a file over 400 lines is refused; 400 lines pass', () => {
  const root = tree({
    'packages/core/src/long.ts': `${'// line\n'.repeat(401)}`,
    'packages/core/src/fits.ts': `${'// line\n'.repeat(400)}`,
  });
  expect(checkArchitecture(root)).toEqual([
    { file: 'packages/core/src/long.ts', message: '401 lines, more than 400: split it by concept' },
  ]);
});
