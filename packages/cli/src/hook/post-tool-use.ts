// The PostToolUse / PostToolUseFailure side: records what became of a tool call the hook allowed.
import { loadCallState, removeCallState } from './call-state.js';
import type { HookClient } from './hook-client.js';
import type { ToolHookInput } from './hook-input.js';

const MAX_DETAIL = 300;

/** The outcome Claude Code's payload shows: the tool ran, failed, or the person interrupted it. */
export function outcomeOf(input: ToolHookInput): { status: 'executed' | 'failed'; detail: string } {
  if (input.event === 'PostToolUseFailure') {
    if (input.interrupted) return { status: 'failed', detail: 'interrupted by the user in Claude Code' };
    const error = (input.error ?? 'no error given').slice(0, MAX_DETAIL);
    return { status: 'failed', detail: `Claude Code reported the tool failed: ${error}` };
  }
  // Bash answers `interrupted: true` when the person stopped the command.
  const response = input.toolResponse as { interrupted?: unknown } | null;
  if (typeof response === 'object' && response !== null && response.interrupted === true) {
    return { status: 'failed', detail: 'interrupted by the user in Claude Code' };
  }
  return { status: 'executed', detail: 'Claude Code ran the tool' };
}

/**
 * Records the outcome of a call the PreToolUse hook claimed; a tool call it did not claim (no saved
 * state) is none of its business. Returns what it did, for stderr.
 */
export async function recordPostToolUse(
  input: ToolHookInput,
  context: { stateDir: string; connect: (server: string) => HookClient; signal: AbortSignal },
): Promise<string | null> {
  const state = await loadCallState(context.stateDir, input.sessionId, input.toolUseId);
  if (state === null) return null;
  const outcome = outcomeOf(input);
  const client = context.connect(state.server);
  await client.outcome(state.callId, outcome, { signal: context.signal });
  await removeCallState(context.stateDir, input.sessionId, input.toolUseId);
  return `countersign: recorded ${state.callId} as ${outcome.status}`;
}
