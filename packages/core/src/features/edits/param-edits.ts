// Approver edits: an approver approves a narrower call than asked, at param paths the rule declares editable.

import { canonicalJson, deepFreeze, type JsonObject, type JsonValue } from '../../lib/canonical-json.js';
import { CorruptRecordError, ValidationError } from '../../lib/errors.js';
import { hashAction } from '../../lib/fingerprint.js';
import type { ApprovalRequest, RedactedAction } from '../../model/approval.js';
import type { Narrowed, Prepared } from '../../model/call.js';
import type { PolicyRule } from '../../model/rule.js';
import type { Feature, Runtime } from '../../runtime/runtime.js';

/**
 * Whether `approved` is a narrowing of `asked`: a number no larger (and not below zero), or a list
 * holding only items of the asked list (each at most as often). Anything else is not an edit.
 */
export function isNarrowing(asked: JsonValue, approved: JsonValue): boolean {
  if (typeof asked === 'number' && typeof approved === 'number')
    return asked >= 0 && approved >= 0 && approved <= asked;
  if (Array.isArray(asked) && Array.isArray(approved)) {
    const left = new Map<string, number>();
    for (const item of asked) left.set(canonicalJson(item), (left.get(canonicalJson(item)) ?? 0) + 1);
    for (const item of approved) {
      const key = canonicalJson(item);
      const count = left.get(key) ?? 0;
      if (count === 0) return false;
      left.set(key, count - 1);
    }
    return true;
  }
  return false;
}

/**
 * The request's action with `edit` applied, checked: every path declared in the rule's `editable`,
 * present, not redacted, and narrowed. Throws a ValidationError naming what is refused.
 */
export function editedAction(
  rule: PolicyRule | undefined,
  request: ApprovalRequest,
  edit: Record<string, unknown>,
): { action: RedactedAction; detail: string } {
  const editable = new Set(rule?.editable ?? []);
  const problems: string[] = [];
  const params = structuredClone(request.action.params) as JsonObject;
  const notes: string[] = [];
  for (const [path, value] of Object.entries(edit)) {
    if (!editable.has(path)) {
      problems.push(`edit.${path}: rule "${request.ruleId}" does not let approvers edit this param`);
      continue;
    }
    if (request.action.redactedPaths.some((redacted) => isAtOrUnder(redacted, path))) {
      problems.push(`edit.${path}: a redacted param cannot be edited`);
      continue;
    }
    const holder = parentOf(params, path);
    const key = lastKey(path);
    if (holder === null || !Object.hasOwn(holder, key)) {
      problems.push(`edit.${path}: the call has no such param`);
      continue;
    }
    const asked = holder[key] as JsonValue;
    if (!isNarrowing(asked, value as JsonValue)) {
      problems.push(
        `edit.${path}: ${canonicalJson(value as JsonValue)} does not narrow ${canonicalJson(asked)} (a lower number or fewer list items)`,
      );
      continue;
    }
    holder[key] = value as JsonValue;
    notes.push(`${path}: ${canonicalJson(asked)} -> ${canonicalJson(value as JsonValue)}`);
  }
  if (problems.length > 0) throw new ValidationError('decision', problems);
  return {
    action: deepFreeze({ ...request.action, params }),
    detail: `narrowed ${notes.join('; ')}`.slice(0, 1000),
  };
}

/**
 * The call as approved when an approver narrowed it: the guard compares the approval's params with
 * its own and, if they differ, checks every difference is a narrowing at an editable path, then
 * rebinds the call (params, fingerprint, shown action) to the narrowed params. Null when unedited.
 */
export function narrowedCall(
  runtime: Runtime,
  prepared: Prepared,
  request: ApprovalRequest,
): { prepared: Prepared; narrowed: Narrowed } | null {
  if (canonicalJson(request.action.params) === canonicalJson(prepared.action.params)) return null;
  const rule = runtime.options.policy.ruleById(request.ruleId);
  const editable = new Set(rule?.editable ?? []);
  const changes: { path: string; asked: JsonValue; approved: JsonValue }[] = [];
  const problems: string[] = [];
  diff(prepared.action.params, request.action.params, '', editable, changes, problems);
  const params = structuredClone(prepared.params) as JsonObject;
  for (const change of changes) {
    const holder = parentOf(params, change.path);
    if (holder === null || !isNarrowing(holder[lastKey(change.path)] as JsonValue, change.approved)) {
      problems.push(`${change.path} is not a narrowing of the call's own value`);
      continue;
    }
    holder[lastKey(change.path)] = change.approved;
  }
  if (problems.length > 0) throw new CorruptRecordError('approval', problems);
  const hashes = hashAction({ name: prepared.name, resource: prepared.resource, params });
  const redacted = runtime.options.redactor(params);
  const action = deepFreeze({
    ...prepared.action,
    params: redacted.params,
    paramsHash: hashes.paramsHash,
  });
  const narrowed: Narrowed = { params, changes };
  const run = prepared.run as (grant: unknown, narrowed: Narrowed) => unknown;
  return {
    prepared: {
      ...prepared,
      params,
      fingerprint: hashes.fingerprint,
      identity: { text: hashes.identity, fingerprint: hashes.fingerprint },
      action,
      run: (grant) => run(grant, narrowed),
    },
    narrowed,
  };
}

/** Differences between the call's params and the approved ones, each at an editable path or a problem. */
function diff(
  asked: JsonValue | undefined,
  approved: JsonValue | undefined,
  path: string,
  editable: ReadonlySet<string>,
  changes: { path: string; asked: JsonValue; approved: JsonValue }[],
  problems: string[],
): void {
  if (path !== '' && editable.has(path)) {
    if (asked === undefined || approved === undefined) problems.push(`${path} was added or removed`);
    else if (canonicalJson(asked) !== canonicalJson(approved)) {
      if (isNarrowing(asked, approved)) changes.push({ path, asked, approved });
      else problems.push(`${path} is not narrowed`);
    }
    return;
  }
  if (isObject(asked) && isObject(approved)) {
    for (const key of new Set([...Object.keys(asked), ...Object.keys(approved)])) {
      diff(asked[key], approved[key], path === '' ? key : `${path}.${key}`, editable, changes, problems);
    }
    return;
  }
  if (asked === undefined || approved === undefined || canonicalJson(asked) !== canonicalJson(approved)) {
    problems.push(`${path || 'params'} differs, and is not an editable param`);
  }
}

/**
 * Whether the redacted path `redacted` is `path` or inside it: a member (`path.key`) or a list
 * item (`path[2]`, `path[2].key`). The approver never saw its value, so cannot narrow it.
 */
function isAtOrUnder(redacted: string, path: string): boolean {
  return redacted === path || redacted.startsWith(`${path}.`) || redacted.startsWith(`${path}[`);
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lastKey(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

/** The object holding the last key of `path`, or null when a step is missing or not an object. */
function parentOf(params: JsonObject, path: string): JsonObject | null {
  let holder: JsonValue = params;
  const keys = path.split('.');
  for (const key of keys.slice(0, -1)) {
    if (!isObject(holder) || !Object.hasOwn(holder, key)) return null;
    holder = holder[key] as JsonValue;
  }
  return isObject(holder) ? holder : null;
}

/** Approver edits as a feature: a vote's edit narrows the request; the claim runs the narrowed call. */
export function editsFeature(): Feature {
  return { id: 'edits', editAction: editedAction, narrow: narrowedCall };
}
