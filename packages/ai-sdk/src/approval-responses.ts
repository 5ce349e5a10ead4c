// Turns a run's tool-approval-requests into the tool-approval-responses countersign's decisions call for.
import type { OpenResult } from '@countersign/core';
import { describeOutcome } from '@countersign/core';
import type { ToolApprovalResponse, ToolSet } from 'ai';
import type { Binding } from './binding.js';

export interface ApprovalResponsesInput {
  /** The run's content, e.g. `result.content` of `generateText` or `await result.content` of `streamText`. */
  content: ReadonlyArray<{ type: string }>;
  /** The same tools the run had. */
  tools: ToolSet;
  /**
   * Wait for people to decide requests still pending (default `false`: leave them out of
   * `responses` and list them in `pending`).
   */
  wait?: boolean | undefined;
  /** Stops waiting; the requests stay pending. */
  signal?: AbortSignal | undefined;
}

export interface ApprovalResponses {
  /** Push these, as a `{ role: 'tool', content: responses }` message, and call the model again. */
  responses: ToolApprovalResponse[];
  /** Requests nobody has decided yet. */
  pending: { approvalId: string; toolCallId: string; requestId: string; expiresAt: number }[];
}

interface ApprovalRequestPart {
  type: 'tool-approval-request';
  approvalId: string;
  isAutomatic?: boolean | undefined;
  toolCall: { toolName: string; toolCallId: string; input: unknown };
}

/**
 * For each manual `tool-approval-request` of a guarded tool: the countersign request it stands for
 * (found again by its idempotency key, never trusted from the message), and a response once it is
 * decided: approved, or denied with what the model should read. The response is a convenience for
 * the SDK; on the next call `toolApproval` and the guard check countersign again.
 */
export async function approvalResponses(
  binding: Binding,
  input: ApprovalResponsesInput,
): Promise<ApprovalResponses> {
  const result: ApprovalResponses = { responses: [], pending: [] };
  for (const part of input.content) {
    if (!isApprovalRequest(part) || part.isAutomatic) continue;
    const { toolName, toolCallId } = part.toolCall;
    const tool = Object.hasOwn(input.tools, toolName) ? input.tools[toolName] : undefined;
    const spec = binding.specOf(tool);
    if (spec === null) continue;
    const call = binding.prepare(spec, part.toolCall.input, toolCallId);
    if (call === null) continue;
    let opened: OpenResult = await binding.cs.open(call.action, call.context);
    if (opened.status === 'pending' && input.wait) {
      await binding.cs.waitForDecision(opened.requestId, { signal: input.signal });
      opened = await binding.cs.open(call.action, call.context);
    }
    if (opened.status === 'pending') {
      result.pending.push({
        approvalId: part.approvalId,
        toolCallId,
        requestId: opened.requestId,
        expiresAt: opened.expiresAt,
      });
      continue;
    }
    const approved = opened.status === 'approved' || opened.status === 'allowed';
    result.responses.push({
      type: 'tool-approval-response',
      approvalId: part.approvalId,
      approved,
      ...(approved ? {} : { reason: describeOutcome(opened).text }),
    });
  }
  return result;
}

function isApprovalRequest(part: { type: string }): part is ApprovalRequestPart {
  return part.type === 'tool-approval-request';
}
