import { describe, expect, test } from 'vitest';
import { isCountersignError } from '../src/index.js';
import { composeFeatures } from '../src/instance/compose-features.js';
import type { ApprovalRequest } from '../src/model/approval.js';
import type { Prepared } from '../src/model/call.js';
import type { GrantRecord } from '../src/model/grants.js';
import type { Runtime } from '../src/runtime/runtime.js';

// The hooks never look at these in the cases below: stand-ins keep the test about composition.
const runtime = {} as Runtime;
const call = {} as Prepared;
const request = { id: 'req_1', ruleId: 'exports' } as ApprovalRequest;
const record = { ruleId: 'exports' } as GrantRecord;

describe('the feature seam, composed', () => {
  test('with no feature, every hook does nothing: nothing bypassed, narrowed or handed, no edit accepted', async () => {
    const hooks = composeFeatures([]);
    expect(hooks.mayBypass(runtime, call, 'exports')).toBe(false);
    expect(await hooks.bypass(runtime, call, 'exports', 'high')).toBe(false);
    expect(hooks.narrow(runtime, call, request)).toBeNull();
    expect(hooks.onGrant(runtime, record, call, null)).toBeNull();
    expect(await hooks.onSweep(runtime, 10)).toBe(0);
    expect(hooks.riskRouting.size).toBe(0);
    expect(hooks.riskRouting.routeOf('exports', 'high')).toBeNull();
    expect(hooks.followUps.escalationOf('exports')).toEqual([]);
    let refused: unknown;
    try {
      hooks.editAction(undefined, request, { rows: 1 });
    } catch (error) {
      refused = error;
    }
    expect(isCountersignError(refused, 'invalid_input')).toBe(true);
  });

  test('two features answering one single-answer hook are a ConfigError naming both', () => {
    const handing = { onGrant: () => null };
    let error: unknown;
    try {
      composeFeatures([
        { id: 'vault', ...handing },
        { id: 'credentials', ...handing },
      ]);
    } catch (caught) {
      error = caught;
    }
    expect(isCountersignError(error, 'invalid_config')).toBe(true);
    expect(String(error)).toContain('vault and credentials both implement onGrant');
  });

  test('hooks every feature may join run them all, in the order listed; sweeps add up; the first bypass wins', async () => {
    const seen: string[] = [];
    const hooks = composeFeatures([
      {
        id: 'a',
        onClaim: async (_r, _c, _q, narrowed) => void seen.push(`a:${narrowed}`),
        onSweep: async () => 2,
        mayBypass: () => false,
        bypass: async () => false,
      },
      {
        id: 'b',
        onClaim: async (_r, _c, _q, narrowed) => void seen.push(`b:${narrowed}`),
        onSweep: async () => 3,
        mayBypass: () => true,
        bypass: async () => {
          seen.push('b:bypass');
          return true;
        },
      },
      {
        id: 'c',
        bypass: async () => {
          seen.push('c:bypass');
          return true;
        },
      },
    ]);
    await hooks.onClaim(runtime, call, request, true);
    expect(await hooks.onSweep(runtime, 5)).toBe(5);
    expect(hooks.mayBypass(runtime, call, 'exports')).toBe(true);
    expect(await hooks.bypass(runtime, call, 'exports', 'low')).toBe(true);
    expect(seen).toEqual(['a:true', 'b:true', 'b:bypass']);
  });

  test('a hook one feature alone implements is that feature’s own function', () => {
    const mayBypass = () => true;
    expect(composeFeatures([{ id: 'reuse', mayBypass }]).mayBypass).toBe(mayBypass);
  });
});
