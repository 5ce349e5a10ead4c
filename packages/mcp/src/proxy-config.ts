// The proxy's configuration file: its schema, and reading it with every problem named.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@countersign/core';
import { z } from 'zod';
import { checkConfig } from './check-config.js';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const text = z.string().min(1);

const storeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('memory') }),
  z.strictObject({
    type: z.literal('postgres'),
    /** Environment variable holding the connection string (it carries a password, so not the file). */
    urlEnv: envName,
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,47}$/)
      .optional(),
  }),
]);

const slackSchema = z.strictObject({
  type: z.literal('slack'),
  tokenEnv: envName,
  signingSecretEnv: envName,
  channel: text,
  teamId: text,
  /** Where Slack's Interactivity Request URL reaches this proxy. */
  listen: z.strictObject({
    port: z.number().int().min(0).max(65_535),
    host: text.optional(),
  }),
  slackApiUrl: z.url().optional(),
});

const toolSchema = z.strictObject({
  action: text.optional(),
  resource: text.optional(),
  risk: z.enum(['low', 'medium', 'high', 'critical']).optional(),
});

const serverName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or -');

const stdioServerSchema = z.strictObject({
  type: z.literal('stdio'),
  /** Used in action names, `mcp.<name>.<tool>`. */
  name: serverName,
  command: text,
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  passEnv: z.array(envName).optional(),
  cwd: text.optional(),
});

const httpServerSchema = z.strictObject({
  type: z.literal('http'),
  name: serverName,
  url: z.url({ protocol: /^https?$/ }),
  /** Header name to the environment variable holding its value, e.g. `{ "Authorization": "UPSTREAM_AUTH" }`. */
  headersEnv: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), envName).optional(),
});

/** `type` defaults to `"stdio"`, the common case. */
const serverSchema = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !('type' in value) ? { ...value, type: 'stdio' } : value,
  z.discriminatedUnion('type', [stdioServerSchema, httpServerSchema]),
);

export const proxyConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  server: serverSchema,
  actor: text,
  onBehalfOf: text.optional(),
  reason: text.optional(),
  reasonArgument: z.union([z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/), z.literal(false)]).optional(),
  tools: z.record(z.string(), toolSchema).optional(),
  /** Checked in full by core when the proxy starts. */
  policy: z.array(z.record(z.string(), z.unknown())),
  defaultEffect: z.enum(['allow', 'deny']).optional(),
  directory: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  redact: z.array(z.string()).optional(),
  requestTtl: z.union([z.string(), z.number()]).optional(),
  grantTtl: z.union([z.string(), z.number()]).optional(),
  store: storeSchema.optional(),
  transports: z.array(z.discriminatedUnion('type', [slackSchema])).optional(),
  progressIntervalMs: z.number().int().min(100).optional(),
  onAbort: z.enum(['cancel', 'detach']).optional(),
  answerWithinMs: z.union([z.number().int().min(100), z.literal(false)]).optional(),
});

export type ProxyConfig = z.output<typeof proxyConfigSchema>;

/** Checks a parsed config object; throws `ConfigError` naming every problem, unknown keys included. */
export function parseProxyConfig(value: unknown): ProxyConfig {
  return checkConfig(proxyConfigSchema, value, 'proxy config');
}

/** Reads and checks a JSON config file. */
export async function loadProxyConfig(file: string): Promise<ProxyConfig> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`[mcp] cannot read the proxy config ${file}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new ConfigError(`[mcp] the proxy config ${file} is not JSON: ${(error as Error).message}`);
  }
  return parseProxyConfig(value);
}
