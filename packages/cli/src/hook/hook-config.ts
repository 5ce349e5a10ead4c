// The hook's mapping file: which Claude Code tool calls become which countersign actions. Strict.

/** How the hook reports what became of an approved tool call (README: "What the outcome means"). */
export type OutcomeMode = 'post-tool-use' | 'at-claim';

/** One mapping from a Claude Code tool call to a countersign action. */
export type ToolRule =
  | { tool: 'Bash'; command: string; action: string; resource: string | null; risk: string | null }
  | { tool: 'Write' | 'Edit'; path: string; action: string; resource: string | null; risk: string | null }
  | { tool: `mcp__${string}`; action: string; resource: string | null; risk: string | null };

export interface HookConfig {
  /** The approval server's URL; `--server` overrides it. */
  server: string | null;
  /** The audience to ask GitHub Actions for, when the token comes from its OIDC issuer. */
  audience: string | null;
  /** The hook's own time limit; `--timeout-seconds` overrides it. */
  timeoutSeconds: number | null;
  outcome: OutcomeMode;
  /** Where `post-tool-use` keeps call ids between the two hooks. */
  stateDir: string | null;
  /** First match wins. */
  rules: ToolRule[];
}

/** The config is not what the hook needs; the message names the key at fault. */
export class HookConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookConfigError';
  }
}

const TOP_KEYS = new Set(['server', 'audience', 'timeoutSeconds', 'outcome', 'stateDir', 'rules']);
const RULE_KEYS: Record<string, ReadonlySet<string>> = {
  Bash: new Set(['tool', 'command', 'action', 'resource', 'risk']),
  file: new Set(['tool', 'path', 'action', 'resource', 'risk']),
  mcp: new Set(['tool', 'action', 'resource', 'risk']),
};
/** `mcp__<server>__<tool>`: both parts present, as Claude Code names MCP tools. */
const MCP_TOOL = /^mcp__[^_\s][^\s]*?__[^\s]+$/;
const ACTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$/;

/** Parses the mapping file's text; every problem is a `HookConfigError` naming where it is. */
export function parseHookConfig(text: string): HookConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new HookConfigError(`not JSON (${(error as Error).message})`);
  }
  const top = object(raw, 'the file');
  unknownKeys(top, TOP_KEYS, '');
  const timeoutSeconds =
    top.timeoutSeconds === undefined ? null : seconds(top.timeoutSeconds, 'timeoutSeconds');
  const outcome = top.outcome ?? 'post-tool-use';
  if (outcome !== 'post-tool-use' && outcome !== 'at-claim') {
    throw new HookConfigError(
      `"outcome" must be "post-tool-use" or "at-claim", not ${JSON.stringify(outcome)}`,
    );
  }
  if (!Array.isArray(top.rules)) throw new HookConfigError('"rules" must be an array of mappings');
  return {
    server: optionalText(top.server, 'server'),
    audience: optionalText(top.audience, 'audience'),
    timeoutSeconds,
    outcome,
    stateDir: optionalText(top.stateDir, 'stateDir'),
    rules: top.rules.map((rule, index) => parseRule(rule, `rules[${index}]`)),
  };
}

/** A whole number of seconds, 1 to 3600. */
export function seconds(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 3600) {
    throw new HookConfigError(`"${where}" must be a whole number of seconds from 1 to 3600`);
  }
  return value;
}

function parseRule(value: unknown, where: string): ToolRule {
  const rule = object(value, where);
  const tool = text(rule.tool, `${where}.tool`);
  const action = text(rule.action, `${where}.action`);
  if (!ACTION_NAME.test(action))
    throw new HookConfigError(`"${where}.action" is not an action name: ${action}`);
  const resource = optionalText(rule.resource, `${where}.resource`);
  const risk = optionalText(rule.risk, `${where}.risk`);
  if (tool === 'Bash') {
    unknownKeys(rule, RULE_KEYS.Bash!, where);
    return { tool, command: text(rule.command, `${where}.command`), action, resource, risk };
  }
  if (tool === 'Write' || tool === 'Edit') {
    unknownKeys(rule, RULE_KEYS.file!, where);
    return { tool, path: text(rule.path, `${where}.path`), action, resource, risk };
  }
  if (MCP_TOOL.test(tool)) {
    unknownKeys(rule, RULE_KEYS.mcp!, where);
    return { tool: tool as `mcp__${string}`, action, resource, risk };
  }
  throw new HookConfigError(
    `"${where}.tool" must be "Bash", "Write", "Edit" or an MCP tool's full name (mcp__<server>__<tool>), not ${JSON.stringify(tool)}`,
  );
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HookConfigError(`${where} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function unknownKeys(value: Record<string, unknown>, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      const at = where === '' ? '' : ` in ${where}`;
      throw new HookConfigError(`unknown key "${key}"${at}; known: ${[...known].join(', ')}`);
    }
  }
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new HookConfigError(`"${where}" must be a non-empty string`);
  return value;
}

function optionalText(value: unknown, where: string): string | null {
  return value === undefined ? null : text(value, where);
}
