// The PreToolUse decision: map the tool call, open it through the agent API, wait, claim, answer.
import { saveCallState } from './call-state.js';
import type { HookCall, HookClient } from './hook-client.js';
import type { HookConfig } from './hook-config.js';
import type { ToolHookInput } from './hook-input.js';
import { mapToolCall } from './tool-mapping.js';

/** The hook's answer; null is "no opinion" (nothing printed). */
export type PreToolUseDecision = { decision: 'allow' | 'deny'; reason: string } | null;

export interface PreToolUseContext {
  config: HookConfig;
  server: string;
  client: HookClient;
  stateDir: string;
  /** Aborted when the hook's time is up. */
  signal: AbortSignal;
  /** The last call the server answered with, so a timeout can say where the request waits. */
  seen: { call: HookCall | null };
}

const NOT_RUN = 'The tool call was not run.';

/**
 * Decides one tool call. Throws on any failure (the command turns every throw into `deny`); allows
 * only after the grant has been claimed, and never changes the tool's input.
 */
export async function decidePreToolUse(
  input: ToolHookInput,
  context: PreToolUseContext,
): Promise<PreToolUseDecision> {
  const mapped = mapToolCall(context.config.rules, input);
  if (mapped === null) return null;
  const { client, signal, seen } = context;
  let call = await client.open(
    { ...mapped, sessionId: input.sessionId, idempotencyKey: input.toolUseId },
    { signal },
  );
  seen.call = call;
  if (call.status === 'pending') {
    call = await client.waitForDecision(call.callId, { signal });
    seen.call = call;
  }
  if (call.status === 'denied') return { decision: 'deny', reason: deniedReason(call) };
  if (call.status !== 'allowed' && call.status !== 'approved') {
    return {
      decision: 'deny',
      reason: `countersign: this tool call's approval is ${call.status}, not ready to use (${call.message}). ${NOT_RUN}`,
    };
  }
  const postHook = context.config.outcome === 'post-tool-use';
  if (postHook) {
    await saveCallState(context.stateDir, input.sessionId, input.toolUseId, {
      callId: call.callId,
      server: context.server,
    });
  }
  const claimed = await client.claim(call.callId, { signal });
  seen.call = claimed;
  if (claimed.status !== 'running') {
    return {
      decision: 'deny',
      reason: `countersign: the grant could not be claimed (${claimed.message}). ${NOT_RUN}`,
    };
  }
  if (!postHook) {
    // The tool runs in Claude Code, after this process has exited: "executed" means handed over.
    await client.outcome(call.callId, { status: 'executed', detail: 'handed to Claude Code' }, { signal });
  }
  return { decision: 'allow', reason: `countersign: ${call.message}` };
}

function deniedReason(call: HookCall): string {
  const code = call.code === null ? '' : ` (${call.code})`;
  const advice =
    call.code === 'approval_denied'
      ? ' Do not retry it unchanged; ask the user what to do instead.'
      : call.code === 'policy_denied' || call.code === 'no_eligible_approvers'
        ? ' The policy does not allow it; do not retry it.'
        : '';
  return `countersign: ${call.message}${code}.${advice} ${NOT_RUN}`;
}

/** What the model is told when no decision came within the hook's time. */
export function timeoutReason(seconds: number, call: HookCall | null): string {
  const where =
    call?.status === 'pending'
      ? ` The request is still waiting for a person${call.approvalUrl === null ? '' : ` at ${call.approvalUrl}`}: ask the user to decide it, then retry.`
      : ' Ask the user whether the approval server is slow or down, then retry.';
  return `countersign: no approval decision within this hook's limit of ${seconds} s.${where} ${NOT_RUN}`;
}
