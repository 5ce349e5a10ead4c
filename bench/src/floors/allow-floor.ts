/**
 * The allow-path floor (#26): the least a guard with core's guarantees does per allowed call,
 * written from scratch, to show beside `guard()` in the same run: the call checked, fingerprinted
 * and redacted (`prepareCall`), the first matching rule, a single-use grant, the `allowed` entry,
 * the action (its consumption hashes the presented token and re-fingerprints the presented call),
 * then in `finally` the revocation and the `executed` or `failed` entry naming the grant's entry.
 */
import type { GuardContext } from '@countersign/core';
import {
  type FloorAction,
  FloorChain,
  FloorGrants,
  type FloorRule,
  firstRule,
  prepareCall,
  runWithGrant,
} from './floor-parts.js';

export class AllowFloor {
  readonly chain: FloorChain;
  readonly #grants = new FloorGrants();

  constructor(
    private readonly rules: readonly FloorRule[],
    private readonly grantTtlMs = 60_000,
    keep = 100_000,
  ) {
    this.chain = new FloorChain(keep);
  }

  get lines(): string[] {
    return this.chain.lines;
  }

  guard(action: FloorAction, context: GuardContext): Promise<unknown> {
    const call = prepareCall(action, context);
    const rule = firstRule(this.rules, call.name);
    if (rule === undefined || rule.effect !== 'allow') throw new Error(`not allowed: ${call.name}`);
    return runWithGrant(this.chain, this.#grants, action, {
      type: 'allowed',
      call,
      requestId: null,
      ruleId: rule.id,
      ttlMs: this.grantTtlMs,
    });
  }
}
