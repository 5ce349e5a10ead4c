// Turns a Claude Code tool call into the countersign action its first matching rule names, or none.
import type { ToolRule } from './hook-config.js';
import { HookInputError, type ToolHookInput } from './hook-input.js';

/** What the hook asks the agent API to open for a tool call. */
export interface MappedCall {
  action: { name: string; resource?: string; params: Record<string, unknown>; risk?: string };
  reason: string;
}

const MAX_REASON = 500;

/**
 * The call for the first rule that matches, or null when none does (the hook has no opinion).
 * A tool with rules whose input lacks what the rules match on is malformed input, not "no match".
 */
export function mapToolCall(rules: readonly ToolRule[], input: ToolHookInput): MappedCall | null {
  const { toolName, toolInput } = input;
  const candidates = rules.filter((rule) => rule.tool === toolName);
  if (candidates.length === 0) return null;
  if (toolName === 'Bash') {
    const command = stringField(toolInput, 'command', toolName);
    const rule = candidates.find((r) => 'command' in r && matchesGlob(r.command, command.trim()));
    if (rule === undefined) return null;
    const description = typeof toolInput.description === 'string' ? toolInput.description.trim() : '';
    return call(
      rule,
      { command },
      description === '' ? 'Claude Code runs a shell command' : `Claude Code: ${description}`,
    );
  }
  if (toolName === 'Write' || toolName === 'Edit') {
    const path = stringField(toolInput, 'file_path', toolName);
    const rule = candidates.find((r) => 'path' in r && matchesGlob(r.path, path));
    if (rule === undefined) return null;
    const params =
      toolName === 'Write'
        ? { path, content: stringField(toolInput, 'content', toolName) }
        : {
            path,
            oldString: stringField(toolInput, 'old_string', toolName),
            newString: stringField(toolInput, 'new_string', toolName),
            replaceAll: toolInput.replace_all === true,
          };
    const verb = toolName === 'Write' ? 'writes' : 'edits';
    return call(rule, params, `Claude Code ${verb} ${path}`, `file:${path}`);
  }
  return call(candidates[0]!, toolInput, `Claude Code calls ${toolName}`);
}

/** `*` matches any run of characters, slashes and spaces included, as in policy globs; nothing else is special. */
export function matchesGlob(pattern: string, value: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(value);
}

function call(
  rule: ToolRule,
  params: Record<string, unknown>,
  reason: string,
  defaultResource?: string,
): MappedCall {
  const resource = rule.resource ?? defaultResource;
  return {
    action: {
      name: rule.action,
      ...(resource === undefined ? {} : { resource }),
      params,
      ...(rule.risk === null ? {} : { risk: rule.risk }),
    },
    reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason,
  };
}

function stringField(input: Record<string, unknown>, name: string, tool: string): string {
  const value = input[name];
  if (typeof value !== 'string')
    throw new HookInputError(`${tool}'s tool_input.${name} is missing or not a string`);
  return value;
}
