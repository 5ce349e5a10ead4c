// @countersign/langgraph: guarded tools that pause a LangGraph run with interrupt() while approval is pending.
export { actionFromToolName } from './action-name.js';
export { type ApprovalInterrupt, isApprovalInterrupt } from './approval-interrupt.js';
export { type GuardToolOptions, guardTool } from './guard-tool.js';
export { refusalMessage } from './refusal-message.js';
export {
  type ApprovalsResume,
  type WaitForApprovalsOptions,
  waitForApprovals,
} from './wait-for-approvals.js';
