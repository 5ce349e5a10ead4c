import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { CORE_LAYERS, checkArchitecture } from './check-architecture.js';

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
    'packages/store/src/long.ts': `${'// line\n'.repeat(401)}`,
    'packages/store/src/fits.ts': `${'// line\n'.repeat(400)}`,
  });
  expect(checkArchitecture(root)).toEqual([
    { file: 'packages/store/src/long.ts', message: '401 lines, more than 400: split it by concept' },
  ]);
});

test("core's folders import only downwards, a feature no other feature, and the root holds only index.ts", () => {
  const root = tree({
    'packages/core/src/index.ts': "export { guard } from './guard/guard.js';\n",
    'packages/core/src/guard/guard.ts':
      "import { reuse } from '../features/reuse/reuse.js';\nexport const guard = reuse;\n",
    'packages/core/src/features/reuse/reuse.ts':
      "import type { E } from '../edits/edits.js';\nexport const reuse = 1 as E;\n",
    'packages/core/src/features/edits/edits.ts':
      "import { lib } from '../../lib/lib.js';\nexport type E = typeof lib;\n",
    'packages/core/src/lib/lib.ts': "import { guard } from '../index.js';\nexport const lib = guard;\n",
    'packages/core/src/helpers/misc.ts': 'export const misc = 1;\n',
    'packages/core/src/stray.ts': 'export const stray = 1;\n',
  });
  const messages = checkArchitecture(root).map((problem) => `${problem.file}: ${problem.message}`);
  expect(messages).toEqual([
    'packages/core/src/features/reuse/reuse.ts: imports features/edits/edits.ts: a feature imports no other feature',
    'packages/core/src/guard/guard.ts: imports features/reuse/reuse.ts: guard/ may not import the higher layer features/',
    `packages/core/src/helpers/misc.ts: "helpers" is not one of core's layers: ${CORE_LAYERS.join(', ')}`,
    'packages/core/src/lib/lib.ts: imports index.ts, the public surface, from inside core',
    "packages/core/src/stray.ts: core's src root holds only index.ts",
    'packages/core/src/features/edits/edits.ts: import cycle: features/edits/edits.ts, features/reuse/reuse.ts, guard/guard.ts, index.ts, lib/lib.ts',
  ]);
});
