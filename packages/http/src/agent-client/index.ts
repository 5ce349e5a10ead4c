// The agent API's client: what an agent process uses to ask the approval server before it acts.
export {
  type AgentClient,
  type AgentClientOptions,
  type ClaimedCall,
  createAgentClient,
  type GetOptions,
  isTransient,
  type RequestOptions,
  type WaitOptions,
} from './agent-client.js';
export {
  AgentApiError,
  AgentClientError,
  type AgentClientErrorKind,
  AgentNetworkError,
  AgentResponseError,
  isAgentClientError,
  WorkloadTokenError,
} from './agent-client-error.js';
export type { AgentFetch, TokenSource } from './send.js';
export { WORKLOAD_TOKEN_ENV, type WorkloadTokenOptions, workloadToken } from './workload-token.js';
