// Guarded tool registration for an McpServer: every call goes through countersign before the handler runs.
import { randomUUID } from 'node:crypto';
import { ConfigError, type Countersign, type Grant, type Risk } from '@countersign/core';
import type { McpServer, RegisteredTool, ToolCallback } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ShapeOutput, ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { actionFromToolName } from './action-name.js';
import { answerDeadline } from './answer-deadline.js';
import { checkConfig } from './check-config.js';
import { guardedCall } from './guarded-call.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { ParkedCalls } from './parked-calls.js';
import { refusalResult } from './tool-result.js';
import { waitingMessage } from './waiting-message.js';

/** What a tool handler receives besides its arguments: signal, authInfo, sessionId, requestId, … */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

type FromExtra = (extra: ToolExtra) => string | null | undefined;

export interface GuardedServerOptions {
  /**
   * The agent identity. Default: `mcp-client:<authInfo.clientId>` when the transport authenticated
   * the client. Required for transports without auth (stdio): a call with no actor is refused.
   */
  actor?: string | FromExtra | undefined;
  /** The person the client acts for; they cannot approve. Default: none. */
  onBehalfOf?: string | FromExtra | undefined;
  /**
   * Grants and idempotency keys are bound to this. Default: the transport's session id
   * (Streamable HTTP), else one id per `guardServer` call, which fits stdio's one client per process.
   */
  sessionId?: FromExtra | undefined;
  /**
   * Name of the optional argument added to every tool for the model's reason; it is shown to
   * approvers and never part of the fingerprinted params. `false` adds none. Default `'reason'`.
   */
  reasonArgument?: string | false | undefined;
  /** The reason recorded when the model gives none. Default: `MCP tool call "<tool>"`. */
  defaultReason?: string | undefined;
  /** How often a waiting call sends a progress notification (if the client asked for progress). Default 10000 ms. */
  progressIntervalMs?: number | undefined;
  /** What a client's cancellation does to a pending request. Default `'cancel'`. */
  onAbort?: 'cancel' | 'detach' | undefined;
  /**
   * A call still waiting for approval this long is answered with countersign's "waiting for
   * approval" result instead of leaving the client to time out (MCP clients give up after 60 s by
   * default); its request stays pending, and the same call made again resumes it. `false` waits for
   * the decision however long it takes. Default 50000 ms.
   */
  answerWithinMs?: number | false | undefined;
}

export interface GuardedToolConfig<Shape extends ZodRawShapeCompat> {
  title?: string | undefined;
  description?: string | undefined;
  /** The tool's arguments as a zod raw shape, as for `McpServer.registerTool`. */
  inputSchema?: Shape | undefined;
  outputSchema?: ZodRawShapeCompat | undefined;
  annotations?: ToolAnnotations | undefined;
  _meta?: Record<string, unknown> | undefined;
  /** The action the policy matches. Default: the tool name with each `__` as `.` (`db__export` → `db.export`). */
  action?: string | undefined;
  /** What the call touches, fixed or computed from the arguments. */
  resource?: string | ((args: ShapeOutput<Shape>) => string | null) | undefined;
  risk?: Risk | undefined;
}

/** The tool's own handler; `grant` is live while it runs (`grant.signal`, or `cs.grants.consume` at the resource). */
export type GuardedToolHandler<Shape extends ZodRawShapeCompat> = (
  args: ShapeOutput<Shape>,
  extra: ToolExtra,
  grant: Grant,
) => CallToolResult | Promise<CallToolResult>;

export interface GuardedServer {
  /**
   * `McpServer.registerTool` with countersign in front: the handler runs only with a live grant
   * for exactly these arguments; a refusal is an `isError` result and the handler is not called.
   */
  registerTool<Shape extends ZodRawShapeCompat>(
    name: string,
    config: GuardedToolConfig<Shape>,
    handler: GuardedToolHandler<Shape>,
  ): RegisteredTool;
}

const REASON_MAX = 2000;

const fromExtra = z.union([z.string().min(1), z.function()]);
const optionsSchema = z.strictObject({
  actor: fromExtra.optional(),
  onBehalfOf: fromExtra.optional(),
  sessionId: z.function().optional(),
  reasonArgument: z.union([z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/), z.literal(false)]).optional(),
  defaultReason: z.string().trim().min(1).max(REASON_MAX).optional(),
  progressIntervalMs: z.number().int().min(100).optional(),
  onAbort: z.enum(['cancel', 'detach']).optional(),
  answerWithinMs: z.union([z.number().int().min(100), z.literal(false)]).optional(),
});
const toolConfigSchema = z.strictObject({
  title: z.string().optional(),
  description: z.string().optional(),
  inputSchema: z.record(z.string(), z.unknown()).optional(),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
  _meta: z.record(z.string(), z.unknown()).optional(),
  action: z.string().min(1).optional(),
  resource: z.union([z.string().min(1), z.function()]).optional(),
  risk: z.enum(['low', 'medium', 'high', 'critical']).optional(),
});

/** Wraps an `McpServer` so tools registered through the result are guarded by `cs`. */
export function guardServer(
  server: McpServer,
  cs: Countersign,
  options: GuardedServerOptions = {},
): GuardedServer {
  checkConfig(optionsSchema, options, 'guardServer options');
  const reasonArgument = options.reasonArgument ?? 'reason';
  const fallbackSession = `mcp-server:${randomUUID()}`;
  const progressIntervalMs = options.progressIntervalMs ?? 10_000;
  const answerWithinMs = answerDeadline(options.answerWithinMs);
  const parked = new ParkedCalls();

  return {
    registerTool<Shape extends ZodRawShapeCompat>(
      name: string,
      config: GuardedToolConfig<Shape>,
      handler: GuardedToolHandler<Shape>,
    ): RegisteredTool {
      checkConfig(toolConfigSchema, config, `config of tool "${name}"`);
      const { action, resource, risk, inputSchema, ...registration } = config;
      const shape: Record<string, unknown> = { ...(inputSchema ?? {}) };
      if (reasonArgument !== false) {
        if (reasonArgument in shape) {
          throw new ConfigError(
            `tool "${name}" already has an argument "${reasonArgument}"; pass reasonArgument to guardServer to use another name, or false`,
          );
        }
        shape[reasonArgument] = z
          .string()
          .max(REASON_MAX)
          .optional()
          .describe('Why this call is needed, in one sentence. Shown to the person who approves it.');
      }
      const actionName = action ?? actionFromToolName(name);

      const callback = async (args: Record<string, unknown>, extra: ToolExtra): Promise<CallToolResult> => {
        let given: unknown;
        let params = args as ShapeOutput<Shape>;
        if (reasonArgument !== false) {
          const { [reasonArgument]: reason, ...rest } = args;
          given = reason;
          params = rest as ShapeOutput<Shape>;
        }
        const actor = resolve(options.actor, extra) ?? defaultActor(extra);
        if (actor === null) {
          return refusalResult({
            code: 'invalid_input',
            final: true,
            text: 'This server cannot tell who is calling, so it refuses guarded tools.',
          });
        }
        const sessionId = options.sessionId?.(extra) ?? extra.sessionId ?? fallbackSession;
        const progressToken = extra._meta?.progressToken;
        const outcome = await guardedCall(
          cs,
          {
            name: actionName,
            resource: typeof resource === 'function' ? resource(params) : (resource ?? null),
            params: params as Record<string, unknown>,
            risk,
            run: (grant) => handler(params, extra, grant),
          },
          {
            actor,
            onBehalfOf: resolve(options.onBehalfOf, extra) ?? null,
            reason: typeof given === 'string' && given.trim() !== '' ? given : defaultReason(options, name),
            sessionId,
            idempotencyKey: idempotencyKeyFor(sessionId, extra.requestId),
            signal: extra.signal,
          },
          {
            progressIntervalMs,
            onAbort: options.onAbort,
            answerWithinMs,
            parked,
            onWaiting:
              progressToken === undefined
                ? undefined
                : ({ count, expiresAt }) =>
                    extra.sendNotification({
                      method: 'notifications/progress',
                      params: { progressToken, progress: count, message: waitingMessage(expiresAt) },
                    }),
          },
        );
        return outcome.ok ? outcome.value : refusalResult(outcome);
      };

      return server.registerTool(
        name,
        { ...registration, inputSchema: shape as ZodRawShapeCompat } as Parameters<
          McpServer['registerTool']
        >[1],
        callback as unknown as ToolCallback<ZodRawShapeCompat>,
      );
    },
  };
}

function resolve(source: string | FromExtra | undefined, extra: ToolExtra): string | null {
  if (source === undefined) return null;
  return (typeof source === 'string' ? source : source(extra)) ?? null;
}

function defaultActor(extra: ToolExtra): string | null {
  return extra.authInfo ? `mcp-client:${extra.authInfo.clientId}` : null;
}

function defaultReason(options: GuardedServerOptions, tool: string): string {
  return options.defaultReason ?? `MCP tool call "${tool}"`;
}
