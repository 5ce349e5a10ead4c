// Where a command writes: stdout for results, stderr for errors, with back-pressure; a reader that leaves ends it.
import type { Writable } from 'node:stream';

export interface Io {
  stdout: Writable;
  stderr: Writable;
}

/**
 * The stream's reader went away (`countersign audit export … | head`: EPIPE). The command stops
 * writing and exits with `ExitCode.OutputClosed`, saying nothing: there is nobody left to tell.
 */
export class OutputClosedError extends Error {
  constructor(cause: unknown) {
    super('the output stream was closed by its reader', { cause });
    this.name = 'OutputClosedError';
  }
}

/** The codes of a stream whose reader left: the pipe broke, or Node already destroyed the stream for it. */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** The first error each stream emitted; the listener also keeps an EPIPE from crashing the process. */
const failures = new WeakMap<Writable, { error: unknown } | null>();

function watch(stream: Writable): { error: unknown } | null {
  if (!failures.has(stream)) {
    failures.set(stream, null);
    stream.on('error', (error) => {
      if (failures.get(stream) === null) failures.set(stream, { error });
    });
  }
  return failures.get(stream) ?? null;
}

function asWriteError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && READER_GONE.has(code) ? new OutputClosedError(error) : error;
}

/**
 * Writes `text`, waiting for the stream to drain when its buffer is full. Throws
 * `OutputClosedError` once the reader has gone; any other write error as it came.
 */
export async function write(stream: Writable, text: string): Promise<void> {
  const failed = watch(stream);
  if (failed !== null) throw asWriteError(failed.error);
  if (stream.destroyed) throw new OutputClosedError(new Error('stream destroyed'));
  if (stream.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown) => {
      stream.off('drain', settle);
      stream.off('error', settle);
      stream.off('close', settle);
      const now = failures.get(stream) ?? (error === undefined ? null : { error });
      if (now !== null) reject(asWriteError(now.error));
      else if (stream.destroyed) reject(new OutputClosedError(new Error('stream closed')));
      else resolve();
    };
    stream.once('drain', settle);
    stream.once('error', settle);
    stream.once('close', settle);
  });
}

/**
 * Resolves once what was written has been handed on, rejecting as `write` does when it could not
 * be: a pipe's reader that left during the last write is known only then.
 */
export function flushed(stream: Writable): Promise<void> {
  const failed = watch(stream);
  if (failed !== null) return Promise.reject(asWriteError(failed.error));
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve, reject) => {
    stream.write('', (error) => (error ? reject(asWriteError(error)) : resolve()));
  });
}
