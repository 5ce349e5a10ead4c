// A checkpoint sink that appends JSON lines to a file.
import { appendFile } from 'node:fs/promises';
import { type Checkpoint, checkpointLine } from './checkpoint.js';
import type { CheckpointSink } from './sink.js';

/**
 * Appends each checkpoint as one JSON line to `path`, creating it if needed: the file
 * `countersign audit verify --checkpoints` reads. Keep it on storage the store's writers cannot reach.
 */
export function fileSink(path: string): CheckpointSink {
  return {
    name: 'file',
    write: (checkpoint: Checkpoint) => appendFile(path, checkpointLine(checkpoint), { encoding: 'utf8' }),
  };
}
