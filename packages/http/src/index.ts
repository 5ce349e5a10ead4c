export type { AgentApiOptions } from './agent-api/agent-options.js';
export { AGENT_ROUTES } from './agent-api/agent-routes.js';
export {
  type AgentCall,
  type CallStatus,
  type ClaimedGrant,
  MAX_WAIT_SECONDS,
  type OpenCallBody,
  type OutcomeBody,
} from './agent-api/call.js';
export { type AgentIssuerOptions, GITHUB_ACTIONS_ISSUER } from './agent-api/workload-auth.js';
export {
  AgentApiError,
  type AgentClient,
  AgentClientError,
  type AgentClientErrorKind,
  type AgentClientOptions,
  type AgentFetch,
  AgentNetworkError,
  AgentResponseError,
  type ClaimedCall,
  createAgentClient,
  type GetOptions,
  isAgentClientError,
  isTransient,
  type RequestOptions,
  type TokenSource,
  type WaitOptions,
  WORKLOAD_TOKEN_ENV,
  WorkloadTokenError,
  type WorkloadTokenOptions,
  workloadToken,
} from './agent-client/index.js';
export {
  type ApprovalServer,
  type ApprovalServerOptions,
  createApprovalServer,
  SLACK_INTERACTIONS_PATH,
} from './approval-server.js';
export type { Authentication, Caller } from './authenticate.js';
export {
  AuthenticationFailure,
  type BearerVerifier,
  createBearerVerifier,
  type OidcOptions,
} from './bearer-auth.js';
export {
  type CountersignCloudEvent,
  cloudEventType,
  EVENT_TYPES,
  type RequestEventData,
  type RequestEventType,
} from './cloud-event.js';
export {
  API_ROUTES,
  type ApiVariables,
  approvalUrl,
  createDecisionApi,
  type DecisionApi,
  type DecisionApiOptions,
} from './decision-api.js';
export {
  DEV_SIGN_IN_PATH,
  type DevServer,
  type DevServerOptions,
  startDevServer,
} from './dev-server.js';
export type { InboxOptions } from './inbox/inbox-options.js';
export { type Listening, type ListenOptions, listen } from './listen.js';
export { createJsonLogger, type Logger, silentLogger } from './logger.js';
export { OPENAPI_PATH, openApiDocument } from './openapi.js';
export { PROBLEM_TYPE_BASE, type Problem } from './problem.js';
export type { CoalesceRefusalsOptions } from './refusal-coalescer.js';
export type { RelayOptions } from './relay-auth.js';
export { createMemoryReplayGuard, type ReplayGuard } from './replay-guard.js';
export { type ServeIo, serve } from './serve.js';
export {
  type ApprovalServerConfig,
  applyEnv,
  CONFIG_ENV,
  loadConfigFile,
  type ServerOidcConfig,
  type ServerSlackConfig,
  type ServerWebhookConfig,
} from './server-config.js';
export { DEFAULT_SERVER_LIMITS, type ResolvedServerLimits, type ServerLimits } from './server-limits.js';
export {
  createWebhookReceiver,
  type ReceivedEvent,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from './webhook-receiver.js';
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
export {
  createWebhookTransport,
  WebhookDeliveryError,
  type WebhookTransport,
  type WebhookTransportLogger,
  type WebhookTransportOptions,
} from './webhook-transport.js';
