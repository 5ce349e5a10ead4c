// Runs the command in this process with captured output, for cases that need no separate process.
import { PassThrough } from 'node:stream';
import { type RunOptions, run } from '../src/index.js';

export async function runCaptured(
  args: readonly string[],
  options: RunOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const code = await run(args, { stdout, stderr }, options);
  return { code, stdout: out, stderr: err };
}
