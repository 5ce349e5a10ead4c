// Reads the agent API's request bodies strictly: unknown keys, wrong types and non-JSON are refused, naming the field.
import { type JsonObject, RISK_LEVELS, type Risk } from '@countersign/core';
import { MAX_WAIT_SECONDS } from './call.js';
import type { CallAction } from './call-registry.js';

export type Parsed<T> = { value: T } | { field: string; detail: string };

export interface OpenCall {
  action: CallAction;
  reason: string;
  sessionId: string;
  idempotencyKey: string | null;
  onBehalfOf: string | null;
}

const OPEN_KEYS = ['action', 'reason', 'sessionId', 'idempotencyKey', 'onBehalfOf'];
const ACTION_KEYS = ['name', 'resource', 'params', 'risk'];
const OUTCOME_KEYS = ['status', 'detail'];
/** Longest outcome detail read; core keeps 500 characters of it, scrubbed. */
const MAX_DETAIL = 4_000;

const bad = (field: string, detail: string) => ({ field, detail });

/** The body as a JSON object, or why not. */
function jsonObject(body: Uint8Array): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return bad('body', 'the body must be a JSON object in UTF-8');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('body', 'the body must be a JSON object');
  }
  return { value: value as Record<string, unknown> };
}

function unknownKey(value: Record<string, unknown>, allowed: readonly string[], prefix: string) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      return bad(
        `${prefix}${key}`,
        `unknown field "${prefix}${key}"; expected ${allowed.map((k) => prefix + k).join(', ')}`,
      );
    }
  }
  return null;
}

const optionalString = (value: unknown) => value === undefined || value === null || typeof value === 'string';

/** `POST /v1/calls`. Identities and lengths are core's to check, as `guard()` checks them. */
export function parseOpenCall(body: Uint8Array): Parsed<OpenCall> {
  const parsed = jsonObject(body);
  if (!('value' in parsed)) return parsed;
  const input = parsed.value;
  if (input.actor !== undefined)
    return bad('actor', 'the actor is the authenticated workload, never a body field');
  const unknown = unknownKey(input, OPEN_KEYS, '');
  if (unknown !== null) return unknown;
  const action = input.action;
  if (typeof action !== 'object' || action === null || Array.isArray(action)) {
    return bad('action', 'action must be an object with name, and optionally resource, params and risk');
  }
  const fields = action as Record<string, unknown>;
  const unknownAction = unknownKey(fields, ACTION_KEYS, 'action.');
  if (unknownAction !== null) return unknownAction;
  if (typeof fields.name !== 'string') return bad('action.name', 'action.name must be a string');
  if (!optionalString(fields.resource))
    return bad('action.resource', 'action.resource must be a string or null');
  const params = fields.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return bad('action.params', 'action.params must be a JSON object');
  }
  if (fields.risk !== undefined && !(RISK_LEVELS as readonly unknown[]).includes(fields.risk)) {
    return bad('action.risk', `action.risk must be one of ${RISK_LEVELS.join(', ')}`);
  }
  if (typeof input.reason !== 'string') return bad('reason', 'reason must be a string');
  if (typeof input.sessionId !== 'string') return bad('sessionId', 'sessionId must be a string');
  if (!optionalString(input.idempotencyKey)) return bad('idempotencyKey', 'idempotencyKey must be a string');
  if (!optionalString(input.onBehalfOf)) return bad('onBehalfOf', 'onBehalfOf must be a string');
  return {
    value: {
      action: {
        name: fields.name,
        resource: (fields.resource as string | null | undefined) ?? null,
        params: params as JsonObject,
        risk: fields.risk as Risk | undefined,
      },
      reason: input.reason,
      sessionId: input.sessionId,
      idempotencyKey: (input.idempotencyKey as string | null | undefined) ?? null,
      onBehalfOf: (input.onBehalfOf as string | null | undefined) ?? null,
    },
  };
}

/** `POST /v1/calls/:id/outcome`. */
export function parseOutcome(
  body: Uint8Array,
): Parsed<{ status: 'executed' | 'failed'; detail: string | null }> {
  const parsed = jsonObject(body);
  if (!('value' in parsed)) return parsed;
  const input = parsed.value;
  const unknown = unknownKey(input, OUTCOME_KEYS, '');
  if (unknown !== null) return unknown;
  if (input.status !== 'executed' && input.status !== 'failed') {
    return bad('status', 'status must be "executed" or "failed"');
  }
  if (!optionalString(input.detail)) return bad('detail', 'detail must be a string');
  const detail = (input.detail as string | null | undefined) ?? null;
  if (detail !== null && detail.length > MAX_DETAIL) {
    return bad('detail', `detail must be at most ${MAX_DETAIL} characters`);
  }
  return { value: { status: input.status, detail } };
}

/** `?wait=`: `30s`, `30` or `1m`, at most {@link MAX_WAIT_SECONDS}; milliseconds. */
export function parseWait(value: string | undefined): Parsed<number> {
  if (value === undefined) return { value: 0 };
  const match = /^(\d{1,4})(s|m)?$/.exec(value);
  const seconds = match === null ? Number.NaN : Number(match[1]) * (match[2] === 'm' ? 60 : 1);
  if (!(seconds <= MAX_WAIT_SECONDS)) {
    return bad('wait', `wait must be a duration such as 30s or 1m, at most ${MAX_WAIT_SECONDS}s`);
  }
  return { value: seconds * 1000 };
}
