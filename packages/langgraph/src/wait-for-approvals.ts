// waitForApprovals(): for the app driving the graph, wait until every pending countersign request is decided, then resume.
import type { Countersign } from '@countersign/core';
import { Command } from '@langchain/langgraph';
import { isApprovalInterrupt } from './approval-interrupt.js';

/** A resume `Command` that updates no state and routes nowhere, so any graph accepts it. */
export type ApprovalsResume = Command<{ countersign: string[] }, Record<string, never>, never>;

export interface WaitForApprovalsOptions {
  /** Stop waiting (the requests stay pending); rejects with `ApprovalPendingError`. */
  signal?: AbortSignal | undefined;
}

/**
 * Waits until each countersign request among `interrupts` (`result[INTERRUPT]` once
 * `isInterrupted(result)`, from `@langchain/langgraph`, or a task's `interrupts`) is no longer pending, at the latest at its deadline, and returns the
 * `Command` to resume with. The resume value only lists the request ids: the guarded tools read
 * each decision from countersign, never from it.
 */
export async function waitForApprovals(
  cs: Countersign,
  interrupts: readonly { value?: unknown }[] | undefined,
  options: WaitForApprovalsOptions = {},
): Promise<ApprovalsResume> {
  const ids = (interrupts ?? [])
    .map((entry) => entry.value)
    .filter(isApprovalInterrupt)
    .map((v) => v.requestId);
  const waitOptions = options.signal === undefined ? {} : { signal: options.signal };
  await Promise.all(ids.map((id) => cs.waitForDecision(id, waitOptions)));
  return new Command({ resume: { countersign: ids } }) as ApprovalsResume;
}
