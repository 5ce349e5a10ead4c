// @countersign/audit: signed checkpoints of the audit chain, their offline verification, OCSF export.
export {
  type Checkpoint,
  type CheckpointBody,
  checkpointBody,
  checkpointLine,
  checkpointSignatureValid,
  parseCheckpoint,
  signCheckpoint,
} from './checkpoint.js';
export { CheckpointError, type CheckpointFailure } from './checkpoint-error.js';
export { type Checkpointer, type CheckpointerOptions, createCheckpointer } from './checkpointer.js';
export { fileSink } from './file-sink.js';
export { type HttpSinkOptions, httpSink } from './http-sink.js';
export { exportPublicKey, type KeyInput, type PublicKeys } from './keys.js';
export {
  describeEntry,
  OCSF_OUTCOMES,
  type OcsfApiActivity,
  type OcsfOptions,
  toOcsf,
  toOcsfEvent,
} from './ocsf.js';
export { type AuditSource, readAuditEntries } from './read-audit-entries.js';
export { type CheckpointSink, callbackSink } from './sink.js';
export {
  type CheckpointProblem,
  type Coverage,
  type VerifyCheckpointsOptions,
  type VerifyCheckpointsResult,
  verifyCheckpoints,
} from './verify-checkpoints.js';
