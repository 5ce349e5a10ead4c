// What Claude Code sends a hook on stdin: the fields the hook reads; every other field is ignored.

/** The common part of PreToolUse, PostToolUse and PostToolUseFailure input. */
export interface ToolHookInput {
  event: 'PreToolUse' | 'PostToolUse' | 'PostToolUseFailure';
  sessionId: string;
  toolName: string;
  toolInput: Record<string, unknown>;
  toolUseId: string;
  /** PostToolUse only: what the tool answered. */
  toolResponse: unknown;
  /** PostToolUseFailure only: why the tool failed. */
  error: string | null;
  /** PostToolUseFailure only: the person interrupted it. */
  interrupted: boolean;
}

/** The input is not a tool hook's input; the message says what is wrong, never what the input held. */
export class HookInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookInputError';
  }
}

const EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PostToolUseFailure']);

/**
 * Parses stdin's text. Unknown fields are ignored on purpose: Claude Code adds fields over time,
 * and refusing them would turn every new release into a denial of every guarded call.
 */
export function parseHookInput(text: string): ToolHookInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HookInputError('the hook input on stdin is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HookInputError('the hook input on stdin is not a JSON object');
  }
  const input = raw as Record<string, unknown>;
  const event = input.hook_event_name;
  if (typeof event !== 'string' || !EVENTS.has(event)) {
    throw new HookInputError(
      `hook_event_name is ${JSON.stringify(event ?? null)}; this hook handles PreToolUse, PostToolUse and PostToolUseFailure`,
    );
  }
  const toolInput = input.tool_input;
  if (typeof toolInput !== 'object' || toolInput === null || Array.isArray(toolInput)) {
    throw new HookInputError('tool_input is missing or not a JSON object');
  }
  return {
    event: event as ToolHookInput['event'],
    sessionId: field(input, 'session_id'),
    toolName: field(input, 'tool_name'),
    toolInput: toolInput as Record<string, unknown>,
    toolUseId: field(input, 'tool_use_id'),
    toolResponse: input.tool_response ?? null,
    error: typeof input.error === 'string' ? input.error : null,
    interrupted: input.is_interrupt === true,
  };
}

function field(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    throw new HookInputError(`${name} is missing or not a string`);
  return value;
}
