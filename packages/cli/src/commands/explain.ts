// countersign explain: what cs.explain() decides for a call, the rule that decides it, and why the rules before it did not.
import {
  type Clock,
  type CountersignOptions,
  createCountersign,
  DEFAULT_MAX_USES,
  isCountersignError,
  type PolicyDecision,
  type PolicyRule,
  systemClock,
} from '@countersign/core';
import { type CommandSpec, parseArgs, required } from '../args.js';
import { CliError, ExitCode, inputError } from '../exit-codes.js';
import { type Io, write } from '../io.js';
import { readText } from '../read-input.js';
import { type ExplainCall, readCall } from './explain-call.js';
import { explainBrokers, explainStore, explainTransport } from './explain-plugins.js';

export const explainSpec: CommandSpec = {
  name: 'explain',
  flags: {
    policy: { value: true },
    action: { value: true },
    resource: { value: true },
    actor: { value: true },
    params: { value: true },
    param: { value: true, repeat: true },
    'on-behalf-of': { value: true },
    risk: { value: true },
    session: { value: true },
    at: { value: true },
    json: { value: false },
  },
  positionals: [],
};

export const explainHelp = `Usage: countersign explain --policy <file.json> --action <name> [--resource <r>] --actor <id>
                          [--params <json>] [--param <key>=<text> | <key>:=<json>]...

Shows what the policy decides for a call, exactly as cs.explain() does, conditions included: the
rule that decides it, and for each rule before it which of action, resource and actor did not
match, or that its when condition did not hold. Runs and records nothing.

<file.json> is either an array of rules, or an object with "policy" (the rules) and optionally
"defaultEffect" ("allow" or "deny") and "directory" ({ "user:bob": { "groups": [...] } }),
as passed to createCountersign.

Options:
  --policy <file>          the policy file
  --action <name>          e.g. db.export
  --resource <r>           e.g. prod/customers (omit for a call without a resource)
  --actor <id>             e.g. agent:report-bot
  --params <json>          the call's params, one JSON object, e.g. '{"rows":20000}'. Default {}
  --param <key>=<text>     one param as a string; repeat for more
  --param <key>:=<json>    one param as any JSON value, e.g. rows:=20000
  --on-behalf-of <id>      the principal the agent acts for (onBehalfOf in conditions)
  --risk <level>           the risk the action declares: low, medium, high or critical
  --session <id>           the session id conditions see
  --at <time>              evaluate conditions at this instant (ISO 8601 with a zone). Default: now
  --json                   print cs.explain()'s result as JSON instead
  -h, --help               show this help

A key given twice (in --params and --param, or in two --param) is a usage error.

Exit codes: 0 explained, 2 usage error (a flag, or the call, is malformed), 3 the policy file cannot be
read or is invalid.
`;

const POLICY_FILE_KEYS = ['policy', 'defaultEffect', 'directory'];

export async function explainCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(explainSpec, argv);
  if (args.help) {
    await write(io.stdout, explainHelp);
    return ExitCode.Ok;
  }
  const policyPath = required(args, explainSpec, 'policy');
  const call = readCall(args, required(args, explainSpec, 'action'), required(args, explainSpec, 'actor'));
  const { options, rules } = readPolicyFile(await readText(policyPath, 'policy'), policyPath, call);
  const decision = explainWith(options, call, policyPath);
  if (args.flags.has('json')) {
    await write(io.stdout, `${JSON.stringify(decision)}\n`);
    return ExitCode.Ok;
  }
  await write(io.stdout, `${describe(decision, options, rules, call, policyPath).join('\n')}\n`);
  return ExitCode.Ok;
}

function describe(
  decision: PolicyDecision,
  options: CountersignOptions,
  rules: PolicyRule[],
  call: ExplainCall,
  path: string,
): string[] {
  const index = decision.rule === null ? -1 : rules.findIndex((rule) => rule.id === decision.ruleId);
  const lines = [`decision: ${decision.effect}`];
  const rule = decision.rule;
  if (rule === null) {
    lines.push(
      `rule: none matched; defaultEffect ${options.defaultEffect ?? 'deny'} applies (rule id "default")`,
    );
  } else {
    lines.push(`rule: ${decision.ruleId} (rule ${index + 1} of ${rules.length})`);
    lines.push(`  match: ${describeMatch(rule)}`);
    if (decision.conditionError !== undefined) {
      lines.push(
        `  when: ${rule.when} could not be evaluated (${decision.conditionError}); the rule decides, failing closed`,
      );
    } else if (decision.when !== undefined) lines.push(`  when: ${decision.when} (holds)`);
    if (rule.description) lines.push(`  description: ${rule.description}`);
    if (rule.credentials !== undefined) {
      lines.push(
        `  credentials: broker ${rule.credentials.broker}, privileges ${JSON.stringify(rule.credentials.privileges)}`,
      );
    }
    if (decision.risk !== undefined) lines.push(`  risk: ${decision.risk}`);
    if (decision.effect === 'require_approval') lines.push(...approvalLines(rule, decision, call));
  }
  const before = index === -1 ? rules : rules.slice(0, index);
  if (before.length > 0) lines.push('rules before it that did not match:');
  for (const [i, earlier] of before.entries()) {
    lines.push(`  ${i + 1}. ${earlier.id}: ${mismatches(options, earlier, call, path).join('; ')}`);
  }
  lines.push(
    'The first rule whose action, resource and actor patterns all match, and whose when condition holds, decides.',
  );
  return lines;
}

/** Who may approve and how many: the rule's, or its risk tier's when the call has one. */
function approvalLines(rule: PolicyRule, decision: PolicyDecision, call: ExplainCall): string[] {
  const tier = decision.risk === undefined ? undefined : rule.tiers?.[decision.risk];
  const approvers = tier?.approvers ?? rule.approvers ?? {};
  const named = [
    ...(approvers.users ?? []).map((u) => `user ${u}`),
    ...(approvers.groups ?? []).map((g) => `group ${g}`),
  ];
  const lines = [`  approvers: ${named.join(', ') || 'none'}; quorum ${decision.quorum ?? rule.quorum ?? 1}`];
  if (tier?.require !== undefined && tier.require.length > 0) {
    lines.push(`  must each approve: ${tier.require.join(', ')}`);
  }
  lines.push(`  requestTtl ${rule.requestTtl ?? '15m'}, grantTtl ${rule.grantTtl ?? '60s'}`);
  if (rule.reuse !== undefined) {
    const { within, scope, same, maxUses } = rule.reuse;
    const who = scope === 'session' ? 'this actor in this session' : 'this actor in any session';
    const equal =
      same === 'fingerprint' ? 'the same call' : `the same action, resource and ${same.join(', ')}`;
    lines.push(
      `  reuse: for ${within}, up to ${maxUses ?? DEFAULT_MAX_USES} later calls by ${who} with ${equal}`,
    );
  }
  const principal = call.subject.onBehalfOf
    ? ` and ${call.subject.onBehalfOf}, for whom it acts`
    : ' and whoever it acts for';
  lines.push(`  never eligible: ${call.subject.actor} (the actor)${principal}`);
  return lines;
}

/** The options to explain with, and the rules as written. */
function readPolicyFile(
  text: string,
  path: string,
  call: ExplainCall,
): { options: CountersignOptions; rules: PolicyRule[] } {
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
  const clock: Clock = call.at === null ? systemClock : { ...systemClock, now: () => call.at! };
  // Checked by createCountersign, as it checks any caller's options.
  const options = {
    ...file,
    policy: file.policy as PolicyRule[],
    store: explainStore,
    transports: [explainTransport],
    credentialBrokers: explainBrokers(file.policy),
    clock,
  } as CountersignOptions;
  return { options, rules: Array.isArray(file.policy) ? (file.policy as PolicyRule[]) : [] };
}

/** cs.explain() on an instance made from `options`; nothing else is called on it. */
function explainWith(options: CountersignOptions, call: ExplainCall, path: string): PolicyDecision {
  let cs: ReturnType<typeof createCountersign>;
  try {
    cs = createCountersign(options);
  } catch (error) {
    if (isCountersignError(error)) throw inputError(`policy ${path}: ${strip(error.message)}`);
    throw error;
  }
  try {
    return cs.explain(call.subject);
  } catch (error) {
    if (isCountersignError(error)) throw new CliError(ExitCode.Usage, strip(error.message));
    throw error;
  } finally {
    void cs.close();
  }
}

/** For a rule that did not match: which of its patterns rejected the call, or its condition, decided by core. */
function mismatches(
  options: CountersignOptions,
  rule: PolicyRule,
  call: ExplainCall,
  path: string,
): string[] {
  const found: string[] = [];
  for (const part of ['action', 'resource', 'actor'] as const) {
    const patterns = rule.match[part];
    if (patterns === undefined) continue;
    const alone: PolicyRule = { id: rule.id, match: { [part]: patterns }, effect: 'allow' };
    const decision = explainWith({ ...options, policy: [alone], directory: {} }, call, path);
    if (decision.ruleId !== rule.id) {
      const value = part === 'resource' ? (call.subject.resource ?? null) : call.subject[part];
      found.push(
        `${part} ${value === null ? '(none)' : `"${value}"`} does not match ${JSON.stringify(patterns)}`,
      );
    }
  }
  // Every pattern matches, so the rule was passed over for its condition, which held false.
  if (found.length === 0 && rule.when !== undefined) return [`its when condition is false: ${rule.when}`];
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
