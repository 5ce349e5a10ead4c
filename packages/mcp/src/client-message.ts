// One line from the client read as a JSON-RPC message, its cost bounded before it is parsed.
import { isUtf8 } from 'node:buffer';
import { repeatedMember } from '@countersign/core';
import { nestsDeeperThan } from './json-depth.js';
import { asObject, type Id, idOf, JsonRpcError, type Message } from './json-rpc.js';

/** Deepest nesting of arrays and objects accepted in a client message (core takes params 64 deep). */
export const MAX_MESSAGE_DEPTH = 100;

export type ClientMessage =
  | { ok: true; message: Message }
  | { ok: false; id: Id | null; code: number; problem: string };

/**
 * Reads a line as one JSON-RPC message, or says why not, with the JSON-RPC error code to answer
 * and the id to answer it with (null when unknown). Size is bounded by the line reader; depth is
 * checked before parsing, so nothing after this meets a value deep enough to overflow the stack.
 */
export function readClientMessage(line: Buffer): ClientMessage {
  if (!isUtf8(line)) return refused(null, JsonRpcError.ParseError, 'the message is not valid UTF-8');
  if (nestsDeeperThan(line, MAX_MESSAGE_DEPTH)) {
    return refused(
      null,
      JsonRpcError.InvalidRequest,
      `the message nests deeper than ${MAX_MESSAGE_DEPTH} levels`,
    );
  }
  const text = line.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refused(null, JsonRpcError.ParseError, 'the message is not JSON');
  }
  // MCP 2025-06-18 removed JSON-RPC batches; taking one apart would answer outside its array.
  if (Array.isArray(parsed)) {
    return refused(null, JsonRpcError.InvalidRequest, 'batches are not supported: send one message per line');
  }
  const message = asObject(parsed);
  if (message === null) return refused(null, JsonRpcError.InvalidRequest, 'the message is not a JSON object');
  // Lines are forwarded as sent; with a member named twice, an upstream parser keeping the first
  // ({"method":"tools/call",…,"method":"ping"}) would run what this proxy read as something else.
  const repeated = repeatedMember(text);
  if (repeated !== null) {
    return refused(
      repeated === 'id' ? null : idOf(message),
      JsonRpcError.InvalidRequest,
      `the message names the member ${JSON.stringify(repeated.slice(0, 64))} twice`,
    );
  }
  return { ok: true, message };
}

function refused(id: Id | null, code: number, problem: string): ClientMessage {
  return { ok: false, id, code, problem };
}
