import { describe, expectTypeOf, test } from 'vitest';
import type {
  ApprovalRequest,
  Countersign,
  CountersignEvent,
  DecisionResult,
  ErrorCode,
  Grant,
  GrantRecord,
  Store,
  Transport,
  VerifyResult,
} from '../src/index.js';
import type { GuardContext } from '../src/model/call.js';

describe('public types', () => {
  test('guard returns what run returns, and run receives a Grant', () => {
    // Only compiled, never called: the assertions are checked by `tsc`.
    const compileOnly = () => {
      const result = cs.guard({ name: 'db.read', run: (grant) => grant.expiresAt }, {} as GuardContext);
      expectTypeOf(result).toEqualTypeOf<Promise<number>>();
      void cs.guard(
        { name: 'db.read', run: (grant) => expectTypeOf(grant).toEqualTypeOf<Grant>() },
        {} as GuardContext,
      );
    };
    expectTypeOf(compileOnly).toBeFunction();
  });

  test('wrap keeps the input and result types', () => {
    type Wrapped = ReturnType<Countersign['wrap']>;
    expectTypeOf<Wrapped>().toBeFunction();
    const wrapped = null as unknown as ReturnType<typeof wrapTyped>;
    expectTypeOf(wrapped).parameters.toEqualTypeOf<[{ table: string }, GuardContext]>();
    expectTypeOf(wrapped).returns.toEqualTypeOf<Promise<string[]>>();
  });

  test('optional options accept undefined explicitly (exactOptionalPropertyTypes users)', () => {
    expectTypeOf<{
      actor: string;
      reason: string;
      sessionId: string;
      onBehalfOf: undefined;
    }>().toExtend<GuardContext>();
  });

  test('plugin contracts and results are fully typed, with no any', () => {
    expectTypeOf<Store['getRequest']>().returns.toEqualTypeOf<Promise<ApprovalRequest | null>>();
    expectTypeOf<Store['consumeGrant']>().returns.toEqualTypeOf<Promise<GrantRecord | null>>();
    expectTypeOf<Transport['deliver']>().returns.toEqualTypeOf<Promise<Record<string, string> | undefined>>();
    expectTypeOf<Countersign['decide']>().returns.toEqualTypeOf<Promise<DecisionResult>>();
    expectTypeOf<ApprovalRequest['status']>().toEqualTypeOf<
      'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'executed' | 'failed'
    >();
    expectTypeOf<VerifyResult>().toExtend<{ ok: boolean }>();
    expectTypeOf<ErrorCode>().toExtend<string>();
    expectTypeOf<Parameters<Parameters<Countersign['on']>[1]>[0]>().not.toBeAny();
    expectTypeOf<CountersignEvent['request']>().toEqualTypeOf<ApprovalRequest | null>();
  });
});

declare const cs: Countersign;
function wrapTyped() {
  return cs.wrap({ name: 'db.read' }, (input: { table: string }) => [input.table]);
}
