// The package's public API: the transport, its renderer and signature check, and their types.

export { defaultResolveApprover, type ResolveApprover, type SlackUser } from './approver-identity.js';
export { type EscapeOptions, escapeMrkdwn } from './escape.js';
export type { SlackTransportOptions } from './options.js';
export {
  ACTION,
  REASON_MODAL,
  type RenderedMessage,
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
export { createSlackTransport, type SlackTransport } from './slack-transport.js';
