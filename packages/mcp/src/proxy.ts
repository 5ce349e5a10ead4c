// The guarding proxy: relays MCP between a client and a server unchanged, except that every tool call goes through countersign.
import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { type Countersign, type Risk, repeatedMember } from '@countersign/core';
import { guardedCall } from './guarded-call.js';
import { connectHttpUpstream, type HttpUpstream } from './http-upstream.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { readLines } from './json-lines.js';
import { addReasonArgument, takeReason } from './reason-argument.js';
import { connectStdioUpstream, type StdioUpstream } from './stdio-upstream.js';
import { refusalResult } from './tool-result.js';
import { waitingMessage } from './waiting-message.js';

/** How one upstream tool is presented to the policy. */
export interface ProxiedTool {
  /** Default `mcp.<server>.<tool>`. */
  action?: string | undefined;
  resource?: string | undefined;
  risk?: Risk | undefined;
}

export interface McpProxyOptions {
  countersign: Countersign;
  /** A command to run (stdio), or a `url` (Streamable HTTP). */
  upstream: StdioUpstream | HttpUpstream;
  /** Names the server in default action names: `mcp.<serverName>.<tool>`. */
  serverName: string;
  /** The agent identity every call is made as, e.g. `'agent:claude-desktop'`. */
  actor: string;
  /** The person the client acts for; they cannot approve. */
  onBehalfOf?: string | null | undefined;
  /** Grants are bound to it. Default: a new id per proxy process, i.e. per client session. */
  sessionId?: string | undefined;
  tools?: Readonly<Record<string, ProxiedTool>> | undefined;
  /** The reason shown to approvers when the model gives none. Default: `"<tool>" on MCP server "<server>"`. */
  reason?: string | undefined;
  /**
   * Name of the optional argument the proxy adds to each listed tool for the model's reason; it is
   * shown to approvers and removed before the call is checked and forwarded. A tool with its own
   * argument of that name keeps it. `false`: tool lists pass unchanged. Default `'reason'`.
   */
  reasonArgument?: string | false | undefined;
  progressIntervalMs?: number | undefined;
  /** What a client's cancellation does to a pending request. Default `'cancel'`. */
  onAbort?: 'cancel' | 'detach' | undefined;
  /** Where the client's messages come from. Default `process.stdin`. */
  input?: Readable | undefined;
  /** Where the client's messages go. Default `process.stdout`. */
  output?: Writable | undefined;
  /** Diagnostics; never written to `output`. Default: standard error. */
  log?: ((message: string) => void) | undefined;
}

export interface McpProxy {
  /** Resolves once the relay has stopped: with the upstream process's exit code, or null. */
  readonly done: Promise<number | null>;
  /** Stops relaying and ends the upstream server. */
  close(): Promise<void>;
}

type Id = string | number;
type Message = Record<string, unknown>;

interface InterceptedCall {
  readonly controller: AbortController;
  /** Set once the call has been sent upstream; settles with its raw response (null: none coming). */
  answer: ((raw: Buffer | string | null) => void) | null;
}

const JSONRPC_INVALID_REQUEST = -32600;
const JSONRPC_INVALID_PARAMS = -32602;
const JSONRPC_INTERNAL_ERROR = -32603;

/**
 * Starts the upstream server and relays. Messages and results pass byte for byte; a tool call
 * countersign lets through is forwarded as the JSON it was checked as; a refused call is answered
 * by the proxy with an `isError` result and never reaches the server.
 */
export function startMcpProxy(options: McpProxyOptions): McpProxy {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const log =
    options.log ?? ((message: string) => process.stderr.write(`[countersign-mcp-proxy] ${message}\n`));
  const sessionId = options.sessionId ?? `mcp-proxy:${randomUUID()}`;
  const calls = new Map<string, InterceptedCall>();
  const reasonArgument = options.reasonArgument ?? 'reason';
  /** Client `tools/list` requests awaiting their answer, by JSON id. */
  const listings = new Set<string>();
  /** Tools whose listed schema got the reason argument: only theirs is taken out of calls. */
  const withReason = new Set<string>();
  const spec = options.upstream;
  const upstream = 'url' in spec ? connectHttpUpstream(spec, log) : connectStdioUpstream(spec, log);
  let stopped = false;

  const toClient = (line: Buffer | string) => {
    if (!stopped)
      output.write(typeof line === 'string' ? `${line}\n` : Buffer.concat([line, Buffer.from('\n')]));
  };
  const toUpstream = (raw: Buffer | string) => {
    if (!stopped) upstream.send(raw);
  };
  const errorResponse = (id: Id | null, code: number, message: string) =>
    toClient(
      JSON.stringify({ jsonrpc: '2.0', id, error: { code, message: `[countersign-mcp-proxy] ${message}` } }),
    );

  const intercept = async (message: Message, id: Id) => {
    const key = JSON.stringify(id);
    if (calls.has(key)) return errorResponse(id, JSONRPC_INVALID_REQUEST, 'a call with this id is in flight');
    const params = asObject(message.params);
    const tool = params?.name;
    const args = params?.arguments === undefined ? {} : asObject(params.arguments);
    if (typeof tool !== 'string' || args === null) {
      return errorResponse(
        id,
        JSONRPC_INVALID_PARAMS,
        'tools/call needs a tool name and an arguments object',
      );
    }
    const progressToken = asObject(params?._meta)?.progressToken;
    const configured = options.tools?.[tool];
    const { reason, params: toolArgs } =
      reasonArgument !== false && withReason.has(tool)
        ? takeReason(args, reasonArgument)
        : { reason: null, params: args };
    const forwarded =
      toolArgs === args ? message : { ...message, params: { ...params, arguments: toolArgs } };
    const call: InterceptedCall = { controller: new AbortController(), answer: null };
    calls.set(key, call);
    try {
      const outcome = await guardedCall(
        options.countersign,
        {
          name: configured?.action ?? `mcp.${options.serverName}.${tool}`,
          resource: configured?.resource ?? null,
          params: toolArgs,
          risk: configured?.risk,
          // Forwarded as parsed, not as received: a server whose JSON parser reads duplicate keys
          // differently must still get exactly the call that was checked.
          run: () =>
            new Promise<Buffer | string | null>((resolve) => {
              call.answer = resolve;
              toUpstream(JSON.stringify(forwarded));
            }),
        },
        {
          actor: options.actor,
          onBehalfOf: options.onBehalfOf ?? null,
          reason: reason ?? options.reason ?? `"${tool}" on MCP server "${options.serverName}"`,
          sessionId,
          idempotencyKey: idempotencyKeyFor(sessionId, id),
          signal: call.controller.signal,
        },
        {
          progressIntervalMs: options.progressIntervalMs ?? 10_000,
          onAbort: options.onAbort,
          onWaiting:
            typeof progressToken === 'string' || typeof progressToken === 'number'
              ? ({ count, expiresAt }) =>
                  toClient(
                    JSON.stringify({
                      jsonrpc: '2.0',
                      method: 'notifications/progress',
                      params: { progressToken, progress: count, message: waitingMessage(expiresAt) },
                    }),
                  )
              : undefined,
        },
      );
      // A cancelled request gets no response, as MCP asks.
      if (call.controller.signal.aborted) return;
      if (!outcome.ok)
        return toClient(JSON.stringify({ jsonrpc: '2.0', id, result: refusalResult(outcome) }));
      if (outcome.value !== null) toClient(outcome.value);
    } catch (error) {
      log(`tool call "${tool}" failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!call.controller.signal.aborted)
        errorResponse(id, JSONRPC_INTERNAL_ERROR, 'the call could not be completed');
    } finally {
      calls.delete(key);
    }
  };

  const fromClient = (message: Message, raw: Buffer | string) => {
    const id = message.id;
    if (message.method === 'tools/call') {
      if (typeof id === 'string' || typeof id === 'number') void intercept(message, id);
      // A call without a usable id (a notification, or id null) is never forwarded: a lax server might run it.
      else if (id === null)
        errorResponse(null, JSONRPC_INVALID_REQUEST, 'tools/call needs a string or number id');
      else log('dropped a tools/call without an id');
      return;
    }
    if (
      message.method === 'tools/list' &&
      reasonArgument !== false &&
      (typeof id === 'string' || typeof id === 'number')
    ) {
      listings.add(JSON.stringify(id));
    }
    if (message.method === 'notifications/cancelled') {
      const call = calls.get(JSON.stringify(asObject(message.params)?.requestId));
      if (call !== undefined) {
        call.controller.abort();
        const sent = call.answer !== null;
        call.answer?.(null);
        // The server never saw a call still waiting for approval, so it hears nothing of it.
        if (!sent) return;
      }
    }
    toUpstream(raw);
  };

  readLines(
    input,
    (line) => {
      const parsed = parse(line);
      if (parsed === undefined) return log('dropped a client line that is not JSON');
      // Lines are forwarded as sent; with a member named twice, an upstream parser keeping the first
      // ({"method":"tools/call",…,"method":"ping"}) would run what this proxy read as something else.
      if (repeatedMember(line.toString('utf8')) !== null)
        return log('dropped a client line with a member named twice');
      // Batches (older protocol versions) are taken apart so that no tool call slips through inside one.
      if (Array.isArray(parsed)) {
        for (const item of parsed) {
          const message = asObject(item);
          if (message !== null) fromClient(message, JSON.stringify(message));
        }
        return;
      }
      const message = asObject(parsed);
      if (message === null) return log('dropped a client line that is not a JSON-RPC message');
      fromClient(message, line);
    },
    () => log('dropped a client message larger than 16 MiB'),
  );

  upstream.onMessage((raw) => {
    const message = asObject(parse(raw));
    const id = message?.id;
    if (
      message !== null &&
      message.method === undefined &&
      (typeof id === 'string' || typeof id === 'number')
    ) {
      const key = JSON.stringify(id);
      const call = calls.get(key);
      if (call !== undefined) {
        call.answer?.(raw);
        return;
      }
      const result = asObject(message.result);
      if (listings.delete(key) && result !== null && reasonArgument !== false) {
        const { added, own } = addReasonArgument(result, reasonArgument);
        for (const name of added) withReason.add(name);
        for (const name of own) withReason.delete(name);
        return toClient(JSON.stringify(message));
      }
    }
    toClient(raw);
  });

  const done = upstream.closed.then((code) => {
    for (const call of calls.values()) call.answer?.(null);
    stopped = true;
    return code;
  });

  input.on('end', () => {
    void proxy.close();
  });

  const proxy: McpProxy = {
    done,
    async close() {
      for (const call of calls.values()) call.controller.abort();
      await upstream.close();
      await done;
    },
  };
  return proxy;
}

function parse(raw: Buffer | string): unknown {
  try {
    return JSON.parse(raw.toString());
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Message | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Message) : null;
}
