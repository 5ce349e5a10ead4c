// The value a guarded tool passes to LangGraph's interrupt() while its request waits for people.

/** Found in `result[INTERRUPT][i].value` (or a task's `interrupts`) while approval is pending. */
export interface ApprovalInterrupt {
  type: 'countersign.approval_pending';
  /** For your UI or `cs.waitForDecision(requestId)`; resuming does not need it. */
  requestId: string;
  /** When the request expires, in epoch milliseconds. */
  expiresAt: number;
  action: string;
  tool: string;
  toolCallId: string;
  /** `describeOutcome`'s text for a pending call. */
  message: string;
}

export function isApprovalInterrupt(value: unknown): value is ApprovalInterrupt {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'countersign.approval_pending' &&
    typeof (value as { requestId?: unknown }).requestId === 'string'
  );
}
