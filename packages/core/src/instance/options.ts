// createCountersign() options: their types, strict reading and the resolved form core uses.

import { z } from 'zod';
import type { CredentialBroker } from '../contracts/credential-broker.js';
import type { OnCallResolver } from '../contracts/on-call.js';
import type { Store } from '../contracts/store.js';
import type { Transport } from '../contracts/transport.js';
import { credentialsFeature } from '../features/credentials/credentials.js';
import { editsFeature } from '../features/edits/param-edits.js';
import { remindersFeature } from '../features/reminders/reminders.js';
import { reuseFeature } from '../features/reuse/reuse-windows.js';
import { riskTiersFeature } from '../features/risk-tiers/risk-routing.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { type Duration, parseDuration } from '../lib/duration.js';
import { ConfigError } from '../lib/errors.js';
import { readInput, readMembers } from '../lib/input.js';
import { createRedactor } from '../lib/redact.js';
import type { PolicyRule } from '../model/rule.js';
import {
  durationSchema,
  formatIssues,
  identitySchema,
  policyRuleSchema,
  policyRuleShape,
} from '../model/schemas.js';
import { type Directory, resolveEligibleApprovers } from '../policy/approvers.js';
import { DEFAULT_MAX_CONDITION_COST } from '../policy/condition-cost.js';
import { Policy } from '../policy/policy.js';
import { type NoticeSink, processWarning } from '../runtime/notices.js';
import type { ResolvedOptions } from '../runtime/runtime.js';
import { composeFeatures } from './compose-features.js';

export interface CountersignOptions {
  /** Where requests, grants and the audit chain live, e.g. `createMemoryStore()`. */
  store: Store;
  /** Where approval requests are sent. None: decisions come only through `decide()`. */
  transports?: readonly Transport[] | undefined;
  /** Approver identities and their groups. */
  directory?: Directory | undefined;
  /** Ordered rules; the first match decides. */
  policy: readonly PolicyRule[];
  /** Effect when no rule matches. Default `'deny'`. */
  defaultEffect?: 'allow' | 'deny' | undefined;
  /** Param paths to redact everywhere, e.g. `['auth.password', 'rows.*.ssn']`; secret shapes are always redacted. */
  redact?: readonly string[] | undefined;
  /** Default `requestTtl` for rules without one. Default `'15m'`. */
  requestTtl?: Duration | undefined;
  /** Default `grantTtl` for rules without one. Default `'60s'`. */
  grantTtl?: Duration | undefined;
  /** How often a waiting guard re-reads its request, in case a notification was lost. Default `'1s'`. */
  pollInterval?: Duration | undefined;
  /** Largest canonical JSON size of an action's params, in bytes. Default 65536, at most 16 MiB. */
  maxParamsBytes?: number | undefined;
  /**
   * Cost budget of one evaluation of a CEL condition (`when`, `riskWhen`), in units: each step is 1,
   * a list, map or string an operator traverses adds its size (a string's length / 10). Past it
   * evaluation stops and the condition fails closed with a `conditionError`. Default 1,000,000.
   */
  maxConditionCost?: number | undefined;
  /**
   * Most requests one actor may have pending at once in this process; past it `guard` and `open`
   * throw `TooManyPendingError` (audited, nothing delivered). Default 20.
   */
  maxPendingPerActor?: number | undefined;
  /**
   * Where the instance's operator notices go (today one: it opened an approval request with no
   * transport to deliver it; said at the first such request, once per instance). Default:
   * `process.emitWarning` (code `COUNTERSIGN_NO_TRANSPORTS`), once per process; `null` says nothing.
   * Nothing secret is ever passed to it. The `notice` event is emitted either way.
   */
  logger?: { warn(message: string): void } | null | undefined;
  /** Time source; inject a test clock in tests. */
  clock?: Clock | undefined;
  /**
   * Brokers that mint per-grant credentials, by the name rules give in `credentials.broker`, e.g.
   * `{ pg: createPostgresRoleBroker(...) }`. Close them yourself after `close()`.
   */
  credentialBrokers?: Record<string, CredentialBroker> | undefined;
  /** Resolves rules' `escalateTo.onCall` targets to the people on call, e.g. `createPagerDutyOnCall(...)`. */
  onCall?: OnCallResolver | undefined;
}

const STORE_METHODS = [
  'createRequest',
  'getRequest',
  'findRequestByIdempotencyKey',
  'updateRequest',
  'listRequests',
  'createGrant',
  'getGrantByTokenHash',
  'consumeGrant',
  'revokeGrant',
  'appendAudit',
  'readAudit',
  'auditHead',
  'close',
] as const;

const hasMethods = (methods: readonly string[]) => (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function');

const optionsSchema = z.object({
  store: z.custom<Store>(
    hasMethods(STORE_METHODS),
    `must implement the Store interface (${STORE_METHODS.join(', ')})`,
  ),
  transports: z
    .array(
      z.custom<Transport>(
        (value) => hasMethods(['deliver'])(value) && typeof (value as { name?: unknown }).name === 'string',
        'must be a Transport with a name and deliver()',
      ),
    )
    .optional(),
  directory: z.record(identitySchema, z.object({ groups: z.array(z.string().min(1)).optional() })).optional(),
  policy: z.array(policyRuleSchema),
  defaultEffect: z.enum(['allow', 'deny']).optional(),
  redact: z.array(z.string().min(1)).optional(),
  requestTtl: durationSchema.optional(),
  grantTtl: durationSchema.optional(),
  pollInterval: durationSchema.optional(),
  maxParamsBytes: z
    .number()
    .int()
    .min(64)
    .max(16 * 1024 * 1024)
    .optional(),
  maxConditionCost: z.number().int().min(1_000).max(1_000_000_000).optional(),
  maxPendingPerActor: z.number().int().min(1).max(100_000).optional(),
  logger: z
    .custom<{ warn(message: string): void }>(hasMethods(['warn']), 'must have a warn(message) method')
    .nullable()
    .optional(),
  clock: z
    .custom<Clock>(hasMethods(['now', 'setTimeout', 'clearTimeout']), 'must implement Clock')
    .optional(),
  credentialBrokers: z
    .record(
      z.string().min(1).max(64),
      z.custom<CredentialBroker>(
        (value) =>
          hasMethods(['checkPrivileges', 'handle', 'issue', 'revoke'])(value) &&
          typeof (value as { name?: unknown }).name === 'string',
        'must be a CredentialBroker with a name, checkPrivileges(), handle(), issue() and revoke()',
      ),
    )
    .optional(),
  onCall: z
    .custom<OnCallResolver>(
      (value) => hasMethods(['resolve'])(value) && typeof (value as { name?: unknown }).name === 'string',
      'must be an OnCallResolver with a name and resolve()',
    )
    .optional(),
});

const OPTION_KEYS = Object.keys(optionsSchema.shape);
const RULE_KEYS = Object.keys(policyRuleShape);
const MATCH_KEYS = ['action', 'resource', 'actor'];
const APPROVER_KEYS = ['users', 'groups'];
const CREDENTIALS_KEYS = ['broker', 'privileges'];
const RISK_KEYS = ['critical', 'high', 'medium', 'low'];
const TIER_KEYS = ['effect', 'approvers', 'quorum', 'require'];
const REUSE_KEYS = ['within', 'scope', 'same', 'maxUses'];
const ESCALATE_KEYS = ['users', 'groups', 'onCall'];

/** A rule's `riskWhen` and `tiers`, every object read once, no unknown key. */
function readRiskMembers(copy: Record<string, unknown>, i: number): void {
  if (copy.riskWhen !== undefined)
    copy.riskWhen = readMembers(copy.riskWhen, RISK_KEYS, `policy[${i}].riskWhen`, 'config');
  if (copy.tiers === undefined) return;
  const tiers = readMembers(copy.tiers, RISK_KEYS, `policy[${i}].tiers`, 'config');
  for (const risk of Object.keys(tiers)) {
    const tier = readMembers(tiers[risk], TIER_KEYS, `policy[${i}].tiers.${risk}`, 'config');
    if (tier.approvers !== undefined)
      tier.approvers = readMembers(
        tier.approvers,
        APPROVER_KEYS,
        `policy[${i}].tiers.${risk}.approvers`,
        'config',
      );
    tiers[risk] = tier;
  }
  copy.tiers = tiers;
}

/**
 * The options with every object read once and no unknown key anywhere: a misspelled `transports`
 * or `onBehalf` is a ConfigError naming it, never silently ignored.
 */
function readOptions(options: unknown): CountersignOptions {
  const top = readMembers(options, OPTION_KEYS, 'options', 'config');
  if (Array.isArray(top.policy)) {
    top.policy = top.policy.map((rule: unknown, i: number) => {
      const copy = readMembers(rule, RULE_KEYS, `policy[${i}]`, 'config');
      if (copy.match !== undefined)
        copy.match = readMembers(copy.match, MATCH_KEYS, `policy[${i}].match`, 'config');
      if (copy.approvers !== undefined) {
        copy.approvers = readMembers(copy.approvers, APPROVER_KEYS, `policy[${i}].approvers`, 'config');
      }
      readRiskMembers(copy, i);
      if (copy.escalateTo !== undefined)
        copy.escalateTo = readMembers(copy.escalateTo, ESCALATE_KEYS, `policy[${i}].escalateTo`, 'config');
      if (copy.reuse !== undefined)
        copy.reuse = readMembers(copy.reuse, REUSE_KEYS, `policy[${i}].reuse`, 'config');
      if (copy.credentials !== undefined) {
        copy.credentials = readMembers(
          copy.credentials,
          CREDENTIALS_KEYS,
          `policy[${i}].credentials`,
          'config',
        );
      }
      return copy;
    });
  }
  if (typeof top.directory === 'object' && top.directory !== null) {
    const directory = readMembers(top.directory, Object.keys(top.directory), 'directory', 'config');
    for (const [identity, entry] of Object.entries(directory)) {
      directory[identity] = readMembers(
        entry,
        ['groups'],
        `directory[${JSON.stringify(identity)}]`,
        'config',
      );
    }
    top.directory = directory;
  }
  if (typeof top.credentialBrokers === 'object' && top.credentialBrokers !== null) {
    const brokers = top.credentialBrokers as Record<string, unknown>;
    top.credentialBrokers = readMembers(brokers, Object.keys(brokers), 'credentialBrokers', 'config');
  }
  return top as unknown as CountersignOptions;
}

/** The options checked and resolved: a getter or proxy trap that throws anywhere in them is a ConfigError. */
export function resolveOptions(raw: CountersignOptions): ResolvedOptions {
  return readInput('options', () => resolve(raw), 'config');
}

function resolve(raw: CountersignOptions): ResolvedOptions {
  const options = readOptions(raw);
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(`invalid options: ${formatIssues(parsed.error).join('; ')}`);
  const ids = new Set<string>();
  for (const rule of options.policy) {
    if (ids.has(rule.id))
      throw new ConfigError(`two policy rules share the id "${rule.id}"; ids must be unique`);
    ids.add(rule.id);
    if (rule.effect === 'require_approval' && !rule.approvers) {
      throw new ConfigError(`rule "${rule.id}" requires approval but names no approvers`);
    }
  }
  // Features that check the policy against the store and the brokers do so first, as they always have.
  const reuse = reuseFeature(options.policy, options.store);
  const brokers = options.credentialBrokers ?? {};
  const credentials = credentialsFeature(options.policy, brokers);
  const transports = new Map<string, Transport>();
  for (const transport of options.transports ?? []) {
    if (transports.has(transport.name)) throw new ConfigError(`two transports are named "${transport.name}"`);
    transports.set(transport.name, transport);
  }
  const maxConditionCost = options.maxConditionCost ?? DEFAULT_MAX_CONDITION_COST;
  const policy = new Policy(options.policy, options.defaultEffect ?? 'deny', maxConditionCost);
  const eligible = resolveEligibleApprovers(options.policy, options.directory ?? {});
  const directory = options.directory ?? {};
  // The instance's features, in the order each hook runs them.
  const features = composeFeatures([
    riskTiersFeature(options.policy, directory, eligible, maxConditionCost),
    reuse,
    remindersFeature(options.policy, directory, options.onCall ?? null),
    editsFeature(),
    credentials,
  ]);
  return {
    store: options.store,
    transports,
    policy,
    eligible,
    redactor: createRedactor(options.redact),
    redactsPaths: (options.redact?.length ?? 0) > 0,
    clock: options.clock ?? systemClock,
    requestTtlMs: parseDuration(options.requestTtl ?? '15m') ?? 900_000,
    grantTtlMs: parseDuration(options.grantTtl ?? '60s') ?? 60_000,
    pollMs: parseDuration(options.pollInterval ?? '1s') ?? 1_000,
    maxParamsBytes: options.maxParamsBytes ?? 65_536,
    maxPendingPerActor: options.maxPendingPerActor ?? 20,
    notify: noticeSink(options.logger),
    credentialBrokers: new Map(Object.entries(brokers)),
    features,
  };
}

/** `undefined`: a process warning, once per process; `null`: nothing; a logger: its `warn`. */
function noticeSink(logger: CountersignOptions['logger']): NoticeSink {
  if (logger === undefined) return processWarning;
  if (logger === null) return () => {};
  return (notice) => logger.warn(notice.message);
}
