// The toolApproval function for generateText, streamText and agents: countersign's policy and requests decide each call.
import { describeOutcome, isCountersignError, type OpenResult } from '@countersign/core';
import type { ToolApprovalStatus, ToolSet } from 'ai';
import type { Binding } from './binding.js';

/** The part of the AI SDK's approval arguments this function reads. */
export interface ApprovalQuery {
  toolCall: { toolName: string; toolCallId: string; input: unknown };
  tools: ToolSet | undefined;
}

export type CountersignToolApproval = (query: ApprovalQuery) => Promise<ToolApprovalStatus>;

/**
 * Consulted for every tool call, when the model makes it and again when a conversation with an
 * approval response continues (the SDK re-evaluates approvals it rebuilds from message history):
 * - allowed by policy: `not-applicable`, and the tool's guard runs it;
 * - denied by policy, or its request denied, expired or cancelled: `denied` with what the model
 *   should read (`describeOutcome` and the approver's comment), which the SDK hands it as an `execution-denied` result;
 * - waiting for people: `user-approval`, so the run pauses with a `tool-approval-request`;
 * - approved: `approved`, and the tool's guard runs it with the grant.
 * Whatever this says, the tool's `execute` still runs only with a live grant for the exact call.
 */
export function createToolApproval(binding: Binding): CountersignToolApproval {
  return async ({ toolCall, tools }) => {
    const tool = tools && Object.hasOwn(tools, toolCall.toolName) ? tools[toolCall.toolName] : undefined;
    const spec = binding.specOf(tool);
    if (spec === null) {
      if (binding.options.unguardedTools === 'allow') return 'not-applicable';
      return { type: 'denied', reason: `The tool "${toolCall.toolName}" is not available.` };
    }
    try {
      const call = binding.prepare(spec, toolCall.input, toolCall.toolCallId);
      if (call === null) return { type: 'denied', reason: 'The tool input must be an object.' };
      const check = await binding.cs.check(call.action, call.context);
      if (check.effect === 'allow') return 'not-applicable';
      if (check.effect === 'deny') {
        const denied: OpenResult = {
          status: 'denied',
          code: 'policy_denied',
          reason: check.reason,
          ruleId: check.ruleId,
          requestId: null,
          comment: null,
        };
        return { type: 'denied', reason: describeOutcome(denied).text };
      }
      return statusOf(await binding.cs.open(call.action, call.context));
    } catch (error) {
      // Fail closed. An error of ours says what failed; any other came from the tool's own
      // resource or params function, which could not make sense of the arguments.
      return { type: 'denied', reason: describeOutcome(isCountersignError(error) ? error : INVALID).text };
    }
  };
}

const INVALID: OpenResult = {
  status: 'denied',
  code: 'invalid_input',
  reason: 'invalid arguments',
  ruleId: null,
  requestId: null,
  comment: null,
};

/** The AI SDK status for what `cs.open` found. */
export function statusOf(opened: OpenResult): ToolApprovalStatus {
  switch (opened.status) {
    case 'allowed':
      return 'not-applicable';
    case 'approved':
      return 'approved';
    case 'pending':
      return { type: 'user-approval', reason: describeOutcome(opened).text };
    default:
      return { type: 'denied', reason: describeOutcome(opened).text };
  }
}
