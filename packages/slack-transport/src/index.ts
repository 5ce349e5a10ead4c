// The package's public API: the transport, its renderer and signature check, and their types.

export { defaultResolveApprover, type ResolveApprover, type SlackUser } from './approver-identity.js';
export { MAX_BATCH_MESSAGE } from './batch.js';
export { type EscapeOptions, escapeMrkdwn } from './escape.js';
export type { SlackTransportOptions } from './options.js';
export {
  ACTION,
  COMMENT_MODAL,
  REASON_MODAL,
  type RenderedMessage,
  type RenderOptions,
  renderApprovalMessage,
} from './render.js';
export {
  SIGNATURE_WINDOW_SECONDS,
  type SignatureCheck,
  type SignatureFailure,
  type VerifySlackSignatureOptions,
  verifySlackSignature,
} from './signature.js';
export { SlackCallError, type SlackTransportLogger } from './slack-api.js';
export {
  createSlackTransport,
  type PostBatchOptions,
  type PostedBatch,
  type SlackTransport,
} from './slack-transport.js';
