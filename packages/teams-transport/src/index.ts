// The public API of @countersign/teams-transport.
export { CONNECTOR_SCOPE } from './access-token.js';
export { TeamsCallError, type TeamsTransportLogger } from './call-error.js';
export {
  ADAPTIVE_CARD_CONTENT_TYPE,
  type AdaptiveCard,
  type CardElement,
  type CardViewer,
  REASON_INPUT,
  type RenderCardOptions,
  renderApprovalCard,
  VERB,
} from './card.js';
export { BOT_FRAMEWORK_OPENID_METADATA_URL } from './openid-keys.js';
export type { TeamsTransportOptions, TeamsUser } from './options.js';
export { MICROSOFT_SERVICE_ORIGINS } from './service-url.js';
export { defaultResolveApprover } from './teams-identity.js';
export { createTeamsTransport, type TeamsTransport } from './teams-transport.js';
export { BOT_FRAMEWORK_ISSUER, CLOCK_SKEW_SECONDS, type TokenFailure } from './verify-token.js';
