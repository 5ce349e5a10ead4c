// @countersign/ai-sdk: guarded Vercel AI SDK tools and a toolApproval backed by countersign.

export { actionNameFor, type ToolNameOf, toolCallKey, toolNameFor } from '@countersign/core';
export type { ApprovalResponses, ApprovalResponsesInput } from './approval-responses.js';
export { type CountersignTools, countersignTools } from './countersign-tools.js';
export type { ExecutableDefinition, GuardedTool, ReasonArgument } from './guarded-tool.js';
export { type CountersignToolsOptions, DEFAULT_REASON, type GuardToolOptions } from './options.js';
export { REASON_DESCRIPTION, REASON_MAX_LENGTH } from './reason-schema.js';
export type { ApprovalQuery, CountersignToolApproval } from './tool-approval.js';
export { ToolCallRefusedError } from './tool-call-refused.js';
