// Runs an example as a user would (`start`: its src/main.ts on this Node, from the sources) and collects what it printed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `testFile` is the calling test's `import.meta.url`: the example is the folder above its `test/`.
 * `env` is added to this process's environment.
 */
export function runExample(testFile: string, env: Record<string, string> = {}): Promise<ExampleRun> {
  const root = fileURLToPath(new URL('..', testFile));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@countersign/source', '--import', 'tsx', 'src/main.ts'],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
