// countersign explain: which policy rule decides a call, and why the rules before it did not.
import {
  type CountersignOptions,
  createCountersign,
  isCountersignError,
  type PolicyDecision,
  type PolicyRule,
  type Store,
  type Transport,
} from '@countersign/core';
import { type CommandSpec, parseArgs, required, single } from '../args.js';
import { CliError, ExitCode, inputError } from '../exit-codes.js';
import { type Io, write } from '../io.js';
import { readText } from '../read-input.js';

export const explainSpec: CommandSpec = {
  name: 'explain',
  flags: {
    policy: { value: true },
    action: { value: true },
    resource: { value: true },
    actor: { value: true },
  },
  positionals: [],
};

export const explainHelp = `Usage: countersign explain --policy <file.json> --action <name> [--resource <r>] --actor <id>

Shows what the policy decides for a call, the rule that decides it, and for each rule before it
which of action, resource and actor did not match. Runs and records nothing.

<file.json> is either an array of rules, or an object with "policy" (the rules) and optionally
"defaultEffect" ("allow" or "deny") and "directory" ({ "user:bob": { "groups": [...] } }),
as passed to createCountersign.

Options:
  --policy <file>    the policy file
  --action <name>    e.g. db.export
  --resource <r>     e.g. prod/customers (omit for a call without a resource)
  --actor <id>       e.g. agent:report-bot
  -h, --help         show this help

Exit codes: 0 explained, 2 usage error, 3 the policy file cannot be read or is invalid.
`;

const POLICY_FILE_KEYS = ['policy', 'defaultEffect', 'directory'];

export async function explainCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(explainSpec, argv);
  if (args.help) {
    await write(io.stdout, explainHelp);
    return ExitCode.Ok;
  }
  const policyPath = required(args, explainSpec, 'policy');
  const subject = {
    action: required(args, explainSpec, 'action'),
    resource: single(args, 'resource') ?? null,
    actor: required(args, explainSpec, 'actor'),
  };
  const { options, rules } = readPolicyFile(await readText(policyPath, 'policy'), policyPath);
  const decision = explainWith(options, subject, policyPath);
  const index = decision.rule === null ? -1 : rules.findIndex((rule) => rule.id === decision.ruleId);
  const lines: string[] = [];
  lines.push(`decision: ${decision.effect}`);
  if (decision.rule === null) {
    lines.push(
      `rule: none matched; defaultEffect ${options.defaultEffect ?? 'deny'} applies (rule id "default")`,
    );
  } else {
    lines.push(`rule: ${decision.ruleId} (rule ${index + 1} of ${rules.length})`);
    lines.push(`  match: ${describeMatch(decision.rule)}`);
    if (decision.rule.description) lines.push(`  description: ${decision.rule.description}`);
    const credentials = (rules[index] as { credentials?: { broker?: unknown; privileges?: unknown } })
      .credentials;
    if (credentials !== undefined) {
      lines.push(
        `  credentials: broker ${String(credentials.broker)}, privileges ${JSON.stringify(credentials.privileges)}`,
      );
    }
    if (decision.effect === 'require_approval') {
      const approvers = decision.rule.approvers ?? {};
      const named = [
        ...(approvers.users ?? []).map((u) => `user ${u}`),
        ...(approvers.groups ?? []).map((g) => `group ${g}`),
      ];
      lines.push(`  approvers: ${named.join(', ') || 'none'}; quorum ${decision.rule.quorum ?? 1}`);
      lines.push(
        `  requestTtl ${decision.rule.requestTtl ?? '15m'}, grantTtl ${decision.rule.grantTtl ?? '60s'}`,
      );
      lines.push(`  never eligible: ${subject.actor} (the actor) and whoever it acts for`);
    }
  }
  const before = index === -1 ? rules : rules.slice(0, index);
  if (before.length > 0) lines.push('rules before it that did not match:');
  for (const [i, rule] of before.entries()) {
    lines.push(`  ${i + 1}. ${rule.id}: ${mismatches(options, rule, subject, policyPath).join('; ')}`);
  }
  lines.push('The first rule whose action, resource and actor patterns all match decides.');
  await write(io.stdout, `${lines.join('\n')}\n`);
  return ExitCode.Ok;
}

/**
 * The options to explain with, and the rules as written. Rule `credentials` are left out of the
 * options: explain mints nothing, so it needs no credential broker, only to show what a rule names.
 */
function readPolicyFile(text: string, path: string): { options: CountersignOptions; rules: PolicyRule[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw inputError(`policy ${path} is not JSON`);
  }
  if (typeof value !== 'object' || value === null)
    throw inputError(`policy ${path} must be an array of rules or an object`);
  const file = (Array.isArray(value) ? { policy: value } : value) as Record<string, unknown>;
  const unknown = Object.keys(file).filter((key) => !POLICY_FILE_KEYS.includes(key));
  if (unknown.length > 0) {
    throw inputError(
      `policy ${path}: unknown member(s) ${unknown.join(', ')}; expected ${POLICY_FILE_KEYS.join(', ')}`,
    );
  }
  const rules = file.policy as PolicyRule[];
  const policy = Array.isArray(rules) ? rules.map(withoutCredentials) : rules;
  const options = { ...file, policy, store: inertStore, transports: [inertTransport] } as CountersignOptions;
  return { options, rules: Array.isArray(rules) ? rules : [] };
}

function withoutCredentials(rule: PolicyRule): PolicyRule {
  if (typeof rule !== 'object' || rule === null || !('credentials' in rule)) return rule;
  const { credentials: _, ...rest } = rule as PolicyRule & { credentials?: unknown };
  return rest;
}

function explainWith(
  options: CountersignOptions,
  subject: { action: string; resource: string | null; actor: string },
  path: string,
): PolicyDecision {
  try {
    const cs = createCountersign(options);
    const decision = cs.explain(subject);
    void cs.close();
    return decision;
  } catch (error) {
    if (isCountersignError(error, 'invalid_input')) throw new CliError(ExitCode.Usage, strip(error.message));
    if (isCountersignError(error)) throw inputError(`policy ${path}: ${strip(error.message)}`);
    throw error;
  }
}

/** For a rule that did not match: which of its patterns rejected the subject, decided by core's own matcher. */
function mismatches(
  options: CountersignOptions,
  rule: PolicyRule,
  subject: { action: string; resource: string | null; actor: string },
  path: string,
): string[] {
  const found: string[] = [];
  for (const part of ['action', 'resource', 'actor'] as const) {
    const patterns = rule.match[part];
    if (patterns === undefined) continue;
    const alone: PolicyRule = { id: rule.id, match: { [part]: patterns }, effect: 'allow' };
    const decision = explainWith({ ...options, policy: [alone], directory: {} }, subject, path);
    if (decision.ruleId !== rule.id) {
      const value = subject[part];
      found.push(
        `${part} ${value === null ? '(none)' : `"${value}"`} does not match ${JSON.stringify(patterns)}`,
      );
    }
  }
  return found.length > 0 ? found : ['did not match'];
}

function describeMatch(rule: PolicyRule): string {
  const parts = (['action', 'resource', 'actor'] as const)
    .filter((part) => rule.match[part] !== undefined)
    .map((part) => `${part} ${JSON.stringify(rule.match[part])}`);
  return parts.length > 0 ? parts.join(', ') : 'anything';
}

function strip(message: string): string {
  return message.replace(/^\[countersign\] /, '');
}

/**
 * `explain` reads only the policy, but createCountersign needs a store (and warns without a
 * transport): these satisfy the contracts and fail every call, so a change in core that made
 * explain touch them shows at once.
 */
const refuse = async (): Promise<never> => {
  throw new Error('countersign explain never uses a store');
};
const inertStore: Store = {
  name: 'explain (no store)',
  createRequest: refuse,
  getRequest: refuse,
  findRequestByIdempotencyKey: refuse,
  updateRequest: refuse,
  listRequests: refuse,
  createGrant: refuse,
  getGrantByTokenHash: refuse,
  consumeGrant: refuse,
  revokeGrant: refuse,
  appendAudit: refuse,
  readAudit: refuse,
  auditHead: refuse,
  close: async () => {},
};
const inertTransport: Transport = { name: 'explain', deliver: refuse };
