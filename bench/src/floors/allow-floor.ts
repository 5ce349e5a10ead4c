/**
 * The allow-path floor (#26): the least a guard with core's guarantees does per allowed call,
 * written from scratch, to show beside `guard()` in the same run: the call checked, fingerprinted
 * and redacted (`prepareCall`), the first matching rule, a single-use grant, the `allowed` entry,
 * the action (its consumption hashes the presented token and re-fingerprints the presented call),
 * then in `finally` the revocation and the `executed` or `failed` entry naming the grant's entry.
 */
import { type GuardContext, scrubText } from '@countersign/core';
import {
  type FloorAction,
  FloorChain,
  FloorGrants,
  type FloorRule,
  firstRule,
  newId,
  prepareCall,
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

  async guard(action: FloorAction, context: GuardContext): Promise<unknown> {
    const call = prepareCall(action, context);
    const rule = firstRule(this.rules, call.name);
    if (rule === undefined || rule.effect !== 'allow') throw new Error(`not allowed: ${call.name}`);
    const grantId = newId('grt_');
    const grant = this.#grants.issue(call, this.grantTtlMs);
    const base = { call, requestId: null, grantId, ruleId: rule.id };
    const issued = this.chain.seal({
      ...base,
      type: 'allowed',
      withAction: true,
      at: Date.now(),
      detail: `grant expires at ${grant.expiresAt}`,
    });
    let failed: unknown = null;
    try {
      return await action.run({ token: grant.token, consume: (p) => this.#grants.consume(grant.token, p) });
    } catch (error) {
      failed = error;
      throw error;
    } finally {
      const consumedAt = this.#grants.revoke(grant.tokenHash);
      this.chain.seal({
        ...base,
        type: failed === null ? 'executed' : 'failed',
        withAction: false,
        at: Date.now(),
        consumedAt,
        detail: failed === null ? null : scrubText(String(failed)),
        grantEntry: issued,
      });
    }
  }
}
