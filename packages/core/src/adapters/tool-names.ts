// Framework glue every adapter needs: reversible tool names for dotted actions, and tool-call keys.
import { createHash } from 'node:crypto';
import { ConfigError } from '../lib/errors.js';

/**
 * One dot-separated part of an action name that maps losslessly: letters, digits and `-`, with
 * single `_` only between them, so a `__` in a tool name can only ever be a dot.
 */
const SEGMENT = /^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$/;
/** Function names the model providers accept. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The tool name for an action: each `.` becomes `__` (`db.export` → `db__export`). Throws a
 * `ConfigError` for an action that cannot be mapped back losslessly or would exceed the 64
 * characters model providers allow; name such tools yourself and pass the action explicitly.
 */
export function toolNameFor(action: string): string {
  const name = mapped(action);
  if (name === null) {
    throw new ConfigError(
      `action "${action}" has no reversible tool name: use letters, digits, "-" and single "_" between dots, at most 64 characters in all, or choose the tool name yourself`,
    );
  }
  return name;
}

function mapped(action: string): string | null {
  const segments = action.split('.');
  const name = segments.join('__');
  return segments.every((segment) => SEGMENT.test(segment)) && TOOL_NAME.test(name) ? name : null;
}

/** The action a tool name made by `toolNameFor` stands for (`db__export` → `db.export`). */
export function actionNameFor(toolName: string): string {
  const action = toolName.split('__').join('.');
  if (mapped(action) !== toolName) {
    throw new ConfigError(`tool name "${toolName}" was not made by toolNameFor()`);
  }
  return action;
}

/** `toolNameFor` at the type level: `'db.export'` → `'db__export'`. */
export type ToolNameOf<A extends string> = A extends `${infer HEAD}.${infer TAIL}`
  ? `${HEAD}__${ToolNameOf<TAIL>}`
  : A;

/** Core's limit on an idempotency key. */
const MAX_KEY_LENGTH = 256;

/**
 * The idempotency key of a framework's tool call: `tool-call:<toolCallId>`, or its SHA-256 when
 * longer than 256 characters. Keys are scoped to the actor and the session, so the same call in
 * the same conversation finds its request again after a pause or a re-run, and another
 * conversation's call with the same id never does.
 */
export function toolCallKey(toolCallId: string): string {
  const key = `tool-call:${toolCallId}`;
  if (key.length <= MAX_KEY_LENGTH) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
