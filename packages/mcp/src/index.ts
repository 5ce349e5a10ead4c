// @countersign/mcp: guarded tools for MCP servers, and a guarding proxy for any MCP server.
export { actionFromToolName } from './action-name.js';
export {
  type GuardedServer,
  type GuardedServerOptions,
  type GuardedToolConfig,
  type GuardedToolHandler,
  guardServer,
  type ToolExtra,
} from './guarded-server.js';
export type { HttpUpstream } from './http-upstream.js';
export { idempotencyKeyFor } from './idempotency-key.js';
export { type McpProxy, type McpProxyOptions, type ProxiedTool, startMcpProxy } from './proxy.js';
export { loadProxyConfig, type ProxyConfig, parseProxyConfig, proxyConfigSchema } from './proxy-config.js';
export { type ProxyIo, type RunningProxy, runProxyFromConfig } from './proxy-runner.js';
export { type ServeStdioOptions, type StdioServing, serveStdio } from './serve-stdio.js';
export type { StdioUpstream } from './stdio-upstream.js';
export { OUTCOME_META_KEY, type Refusal, refusalResult } from './tool-result.js';
