// The tool result an MCP client (and its model) receives when countersign refuses a call.
import type { OutcomeDescription } from '@countersign/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** What `describeOutcome` from `@countersign/core` says about a refusal. */
export type Refusal = Pick<OutcomeDescription, 'code' | 'final' | 'text'>;

/** `_meta` key carrying `{ code, final }` for clients that act on the outcome. */
export const OUTCOME_META_KEY = 'countersign/outcome';

/**
 * An `isError` result whose text is `describeOutcome`'s text (its message and the approver's
 * comment, if any) and the code: the model sees why and whether to retry, never an internal id.
 */
export function refusalResult(refusal: Refusal): CallToolResult {
  return {
    content: [{ type: 'text', text: `${refusal.text} (code: ${refusal.code})` }],
    isError: true,
    _meta: { [OUTCOME_META_KEY]: { code: refusal.code, final: refusal.final } },
  };
}
