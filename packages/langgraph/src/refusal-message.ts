// The ToolMessage a model receives when countersign refuses a tool call.
import type { OutcomeDescription } from '@countersign/core';
import { ToolMessage } from '@langchain/core/messages';

/**
 * An error ToolMessage with `describeOutcome`'s text (with the approver's comment, if any) and the code;
 * `artifact` carries `{ code, final }` for code, not for the model.
 */
export function refusalMessage(outcome: OutcomeDescription, tool: string, toolCallId: string): ToolMessage {
  return new ToolMessage({
    status: 'error',
    name: tool,
    tool_call_id: toolCallId,
    content: `${outcome.text} (code: ${outcome.code})`,
    artifact: { code: outcome.code, final: outcome.final },
  });
}
