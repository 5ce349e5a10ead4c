export { type EscapeOptions, escapeMrkdwn } from './escape.js';
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
export {
  createSlackTransport,
  defaultResolveApprover,
  type SlackTransport,
  type SlackTransportOptions,
  type SlackUser,
} from './slack-transport.js';
