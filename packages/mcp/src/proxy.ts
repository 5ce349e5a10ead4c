// The guarding proxy: relays MCP between a client and a server unchanged, except that every tool call goes through countersign.
import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { Countersign, Risk } from '@countersign/core';
import { answerDeadline } from './answer-deadline.js';
import { readClientMessage } from './client-message.js';
import { guardedCall } from './guarded-call.js';
import { connectHttpUpstream, type HttpUpstream } from './http-upstream.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { InFlight, type InterceptedCall, UpstreamGoneError } from './in-flight.js';
import { MAX_LINE_BYTES, readLines } from './json-lines.js';
import { asObject, errorResponse, type Id, idOf, JsonRpcError, type Message } from './json-rpc.js';
import { ParkedCalls } from './parked-calls.js';
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
  /** As for `guardServer`: a call still pending this long is answered as pending. `false`: never. Default 50000 ms. */
  answerWithinMs?: number | false | undefined;
  /** Where the client's messages come from. Default `process.stdin`. */
  input?: Readable | undefined;
  /** Where the client's messages go. Default `process.stdout`. */
  output?: Writable | undefined;
  /** Diagnostics; never written to `output`. Default: standard error. */
  log?: ((message: string) => void) | undefined;
}

export interface McpProxy {
  /**
   * Resolves once the relay has stopped: with 0 when the proxy ended it (`close()`, or the client
   * closed its input); when the server ended on its own, with its exit code (null if a signal ended
   * it, 1 instead of 0 if it left requests unanswered).
   */
  readonly done: Promise<number | null>;
  /** Stops relaying and ends the upstream server (its input closed, then SIGTERM, then SIGKILL). */
  close(): Promise<void>;
}

const SERVER_GONE = 'the MCP server exited before answering';

/**
 * Starts the upstream server and relays. Messages and results pass byte for byte; a tool call
 * countersign lets through is forwarded as the JSON it was checked as; a refused call is answered
 * by the proxy with an `isError` result and never reaches the server. A client message the proxy
 * cannot read, and every request the server leaves unanswered when it exits, get a JSON-RPC error.
 */
export function startMcpProxy(options: McpProxyOptions): McpProxy {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const log =
    options.log ?? ((message: string) => process.stderr.write(`[countersign-mcp-proxy] ${message}\n`));
  const sessionId = options.sessionId ?? `mcp-proxy:${randomUUID()}`;
  const inFlight = new InFlight();
  const parked = new ParkedCalls();
  const answerWithinMs = answerDeadline(options.answerWithinMs);
  const reasonArgument = options.reasonArgument ?? 'reason';
  /** Client `tools/list` requests awaiting their answer, by JSON id. */
  const listings = new Set<string>();
  /** Tools whose listed schema got the reason argument: only theirs is taken out of calls. */
  const withReason = new Set<string>();
  const spec = options.upstream;
  const upstream = 'url' in spec ? connectHttpUpstream(spec, log) : connectStdioUpstream(spec, log);
  /** The proxy asked the server to stop. */
  let closing = false;
  /** The server is gone: nothing more is sent to it. */
  let gone = false;
  /** Nothing more is written to the client. */
  let stopped = false;

  const toClient = (line: Buffer | string) => {
    if (!stopped)
      output.write(typeof line === 'string' ? `${line}\n` : Buffer.concat([line, Buffer.from('\n')]));
  };
  const answerError = (id: Id | null, code: number, message: string) =>
    toClient(errorResponse(id, code, message));
  // A client that went away makes writes fail (EPIPE): the proxy stops, it does not crash.
  output.on('error', (error) => {
    log(`cannot write to the client: ${error.message}`);
    stopped = true;
    void proxy.close();
  });

  /** Relays a client message; a request the server can no longer get is answered with an error. */
  const relay = (raw: Buffer, request: Id | null) => {
    if (request !== null) inFlight.relayed.set(JSON.stringify(request), request);
    upstream.send(raw).catch((error: unknown) => {
      log(`could not relay a message to the server: ${errorText(error)}`);
      if (request !== null && inFlight.relayed.delete(JSON.stringify(request))) {
        answerError(request, JsonRpcError.InternalError, 'the message could not be sent to the MCP server');
      }
    });
  };

  const intercept = async (message: Message, id: Id) => {
    const key = JSON.stringify(id);
    if (inFlight.calls.has(key)) {
      return answerError(id, JsonRpcError.InvalidRequest, 'a call with this id is in flight');
    }
    const params = asObject(message.params);
    const tool = params?.name;
    const args = params?.arguments === undefined ? {} : asObject(params.arguments);
    if (typeof tool !== 'string' || args === null) {
      return answerError(
        id,
        JsonRpcError.InvalidParams,
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
    const call: InterceptedCall = { id, controller: new AbortController(), sent: null, answered: false };
    inFlight.calls.set(key, call);
    try {
      const outcome = await guardedCall(
        options.countersign,
        {
          name: configured?.action ?? `mcp.${options.serverName}.${tool}`,
          resource: configured?.resource ?? null,
          params: toolArgs,
          risk: configured?.risk,
          // Forwarded as parsed, not as received: a server whose JSON parser reads duplicate keys
          // differently must still get exactly the call that was checked. It settles with the
          // server's answer, or fails (recorded `failed`) if the server goes away first.
          run: () =>
            new Promise<Buffer | string | null>((resolve, reject) => {
              if (gone) return reject(new UpstreamGoneError(SERVER_GONE));
              call.sent = { answer: resolve, fail: reject };
              upstream.send(JSON.stringify(forwarded)).catch((error: unknown) => {
                reject(
                  new UpstreamGoneError(`the call could not be sent to the MCP server: ${errorText(error)}`),
                );
              });
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
          answerWithinMs,
          parked,
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
      if (call.answered || call.controller.signal.aborted) return;
      call.answered = true;
      if (!outcome.ok)
        return toClient(JSON.stringify({ jsonrpc: '2.0', id, result: refusalResult(outcome) }));
      if (outcome.value !== null) toClient(outcome.value);
    } catch (error) {
      log(`tool call "${tool}" failed: ${errorText(error)}`);
      if (call.answered || call.controller.signal.aborted) return;
      call.answered = true;
      const why = error instanceof UpstreamGoneError ? error.message : 'the call could not be completed';
      answerError(id, JsonRpcError.InternalError, why);
    } finally {
      inFlight.calls.delete(key);
    }
  };

  /** Guards a call; whatever it throws is answered, and its outcome is awaited before the proxy stops. */
  const guard = (message: Message, id: Id) => {
    const settling: Promise<void> = intercept(message, id)
      .catch((error: unknown) => {
        log(`could not handle a tool call: ${errorText(error)}`);
        answerError(id, JsonRpcError.InternalError, 'the call could not be handled');
      })
      .finally(() => inFlight.settling.delete(settling));
    inFlight.settling.add(settling);
  };

  const fromClient = (message: Message, raw: Buffer) => {
    const id = idOf(message);
    const isRequest = typeof message.method === 'string' && id !== null;
    if (gone) {
      if (isRequest) answerError(id, JsonRpcError.InternalError, 'the MCP server is not running');
      return;
    }
    if (message.method === 'tools/call') {
      if (id !== null) guard(message, id);
      // A call without a usable id (a notification, or id null) is never forwarded: a lax server might run it.
      else if (message.id === null)
        answerError(null, JsonRpcError.InvalidRequest, 'tools/call needs a string or number id');
      else log('dropped a tools/call without an id');
      return;
    }
    if (message.method === 'tools/list' && reasonArgument !== false && id !== null) {
      listings.add(JSON.stringify(id));
    }
    if (message.method === 'notifications/cancelled') {
      const cancelled = JSON.stringify(asObject(message.params)?.requestId);
      inFlight.relayed.delete(cancelled);
      const call = inFlight.calls.get(cancelled);
      if (call !== undefined) {
        call.controller.abort();
        const sent = call.sent !== null;
        call.sent?.answer(null);
        // The server never saw a call still waiting for approval, so it hears nothing of it.
        if (!sent) return;
      }
    }
    relay(raw, isRequest ? id : null);
  };

  const stopReading = readLines(input, {
    line: (line) => {
      let message: Message | null = null;
      try {
        const read = readClientMessage(line);
        if (!read.ok) {
          log(`refused a client message: ${read.problem}`);
          return answerError(read.id, read.code, read.problem);
        }
        message = read.message;
        fromClient(message, line);
      } catch (error) {
        log(`could not handle a client message: ${errorText(error)}`);
        answerError(message && idOf(message), JsonRpcError.InternalError, 'the message could not be handled');
      }
    },
    oversize: () => {
      log(`refused a client message larger than ${MAX_LINE_BYTES / 1024 / 1024} MiB`);
      answerError(
        null,
        JsonRpcError.InvalidRequest,
        `the message is larger than ${MAX_LINE_BYTES / 1024 / 1024} MiB`,
      );
    },
    error: (error) => {
      log(`cannot read from the client: ${error.message}`);
      void proxy.close();
    },
  });

  const fromServer = (raw: Buffer | string) => {
    const message = asObject(parse(raw));
    const id = message === null ? null : idOf(message);
    if (message !== null && message.method === undefined && id !== null) {
      const key = JSON.stringify(id);
      const call = inFlight.calls.get(key);
      if (call !== undefined) {
        call.sent?.answer(raw);
        return;
      }
      inFlight.relayed.delete(key);
      const result = asObject(message.result);
      if (listings.delete(key) && result !== null && reasonArgument !== false) {
        const { added, own } = addReasonArgument(result, reasonArgument);
        for (const name of added) withReason.add(name);
        for (const name of own) withReason.delete(name);
        return toClient(JSON.stringify(message));
      }
    }
    toClient(raw);
  };
  upstream.onMessage((raw) => {
    try {
      fromServer(raw);
    } catch (error) {
      // A server message the proxy cannot rework (one too deep to serialise) still reaches the client as sent.
      log(`relayed a server message as it came: ${errorText(error)}`);
      toClient(raw);
    }
  });

  const done = upstream.closed.then(async (code) => {
    gone = true;
    if (!closing) log(`the upstream server exited (${code === null ? 'ended by a signal' : `code ${code}`})`);
    const why = closing ? 'the proxy is stopping' : SERVER_GONE;
    const unanswered = inFlight.giveUp(why, (id, message) =>
      answerError(id, JsonRpcError.InternalError, message),
    );
    // Every guarded call records its outcome before the caller closes the store.
    await inFlight.settled();
    stopped = true;
    stopReading();
    if (closing) return 0;
    return code === 0 && unanswered > 0 ? 1 : code;
  });

  input.on('end', () => {
    void proxy.close();
  });

  const proxy: McpProxy = {
    done,
    async close() {
      if (!gone) closing = true;
      stopReading();
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
