// CheckpointError: a checkpoint that could not be signed or written.
import { CountersignError, ErrorCode } from '@countersign/core';

/** Where a checkpoint failed: reading the head, writing to the sink, or after `close()`. */
export type CheckpointFailure = 'head' | 'sink' | 'closed';

/** A checkpoint was not written. `seq` is the head it would have covered, when known. */
export class CheckpointError extends CountersignError {
  readonly failure: CheckpointFailure;
  readonly seq: number | null;
  constructor(failure: CheckpointFailure, seq: number | null, message: string, cause?: unknown) {
    super(failure === 'closed' ? ErrorCode.Closed : ErrorCode.StoreFailed, `[audit] ${message}`, { cause });
    this.failure = failure;
    this.seq = seq;
  }
}
