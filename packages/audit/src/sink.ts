// The checkpoint sink contract, and the callback sink.
import type { Checkpoint } from './checkpoint.js';

/**
 * Where checkpoints go: somewhere the audit store's writers cannot rewrite. `write` resolves once
 * the checkpoint is durable there and rejects otherwise; it is never called twice at once.
 */
export interface CheckpointSink {
  /** Shown in error reports, e.g. `'file'`; never contains credentials. */
  readonly name: string;
  write(checkpoint: Checkpoint): Promise<void>;
  close?(): Promise<void>;
}

/** A sink that hands each checkpoint to a function, e.g. to publish it elsewhere. */
export function callbackSink(
  write: (checkpoint: Checkpoint) => void | Promise<void>,
  name = 'callback',
): CheckpointSink {
  return { name, write: async (checkpoint) => write(checkpoint) };
}
