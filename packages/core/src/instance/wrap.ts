// countersign.wrap(): a function guarded once, each call running with one frozen copy of its input.

import { ValidationError } from '../lib/errors.js';
import type { GuardAction, GuardContext } from '../model/call.js';
import type { Grant } from '../model/grants.js';

/** Describes a function to guard once, for `countersign.wrap`. */
export interface WrapSpec<I> {
  name: string;
  /** The resource, fixed or computed from the input. */
  resource?: string | ((input: I) => string | null) | undefined;
  /** The params to bind and show, from the frozen copy of the input `fn` will get. Default: that copy. */
  params?: ((input: I) => Record<string, unknown>) | undefined;
  risk?: GuardAction<unknown>['risk'];
}

/** What wrapping needs of an instance: its guard. */
interface Guarding {
  guard<T>(action: GuardAction<T>, context: GuardContext): Promise<T>;
}

/** `fn` behind `instance.guard`: every call of the result is one guarded call. */
export function wrapGuarded<I, T>(
  instance: Guarding,
  spec: WrapSpec<I>,
  fn: (input: I, grant: Grant) => T | Promise<T>,
): (input: I, context: GuardContext) => Promise<T> {
  return (input: I, context: GuardContext) => {
    // One frozen copy is what the approver sees and what `fn` runs with: changing the caller's
    // object (or a getter answering differently) while the request waits changes nothing.
    let snapshot: I;
    try {
      snapshot = frozenClone(input);
    } catch (error) {
      return Promise.reject(
        new ValidationError('wrapped function input', [
          `must be data that structuredClone can copy (${error instanceof Error ? error.message : 'not cloneable'})`,
        ]),
      );
    }
    return instance.guard(
      {
        name: spec.name,
        resource: typeof spec.resource === 'function' ? spec.resource(snapshot) : spec.resource,
        params: spec.params ? spec.params(snapshot) : (snapshot as Record<string, unknown>),
        risk: spec.risk,
        run: (grant) => fn(snapshot, grant),
      },
      context,
    );
  };
}

/** A deep copy, frozen all the way down (walked with its own stack: no recursion). */
function frozenClone<I>(input: I): I {
  const copy = structuredClone(input);
  const stack: unknown[] = [copy];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) continue;
    Object.freeze(value);
    for (const member of Object.values(value)) stack.push(member);
  }
  return copy;
}
