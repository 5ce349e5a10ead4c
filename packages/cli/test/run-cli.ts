// Runs the countersign command as a user would: a child process on this Node, from the TypeScript sources.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: readonly string[], cwd: string): CliResult {
  const result = spawnSync(TSX, ['--conditions=@countersign/source', BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    // Generous: a child compiles the CLI's TypeScript on start, slow on a loaded CI host.
    timeout: 110_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
