// @countersign/openai-agents: guarded OpenAI Agents JS tools, needsApproval and interruptions backed by countersign.

export { actionNameFor, type ToolNameOf, toolCallKey, toolNameFor } from '@countersign/core';
export { type CountersignAgentTools, countersignAgentTools } from './countersign-agent-tools.js';
export type { GuardedCallDetails, GuardedToolOptions } from './guarded-tool.js';
export { type CountersignAgentToolsOptions, DEFAULT_REASON } from './options.js';
export {
  type JsonObjectSchemaLike,
  REASON_DESCRIPTION,
  REASON_MAX_LENGTH,
  type WithReason,
} from './reason-schema.js';
export type {
  InterruptedRun,
  InterruptedState,
  ResolvedInterruptions,
  ResolveOptions,
} from './resolve-interruptions.js';
export {
  countersignErrorFunction,
  GENERIC_TOOL_ERROR,
  type ToolErrorFunction,
} from './tool-error-function.js';
