export type { Authentication, Caller } from './authenticate.js';
export {
  AuthenticationFailure,
  type BearerVerifier,
  createBearerVerifier,
  type OidcOptions,
} from './bearer-auth.js';
export { API_ROUTES, approvalUrl, createDecisionApi, type DecisionApiOptions } from './decision-api.js';
export { OPENAPI_PATH, openApiDocument } from './openapi.js';
export { PROBLEM_TYPE_BASE, type Problem } from './problem.js';
export type { RelayOptions } from './relay-auth.js';
export { createMemoryReplayGuard, type ReplayGuard } from './replay-guard.js';
export {
  createWebhookSigner,
  createWebhookVerifier,
  type SignedHeaders,
  type VerifyWebhookInput,
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookSigningKey,
  WebhookVerificationFailure,
  type WebhookVerifier,
  type WebhookVerifyingKey,
  webhookPublicKey,
} from './webhook-signature.js';
