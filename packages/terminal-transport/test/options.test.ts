import { PassThrough } from 'node:stream';
import { isCountersignError } from '@countersign/core';
import { describe, expect, test } from 'vitest';
import { createTerminalTransport, type TerminalTransportOptions } from '../src/index.js';

const streams = () => ({ input: new PassThrough(), output: new PassThrough() });

/** The ConfigError createTerminalTransport throws for `options`; fails the test if it throws anything else. */
function refusal(options: unknown): string {
  try {
    createTerminalTransport(options as TerminalTransportOptions);
  } catch (error) {
    expect(isCountersignError(error, 'invalid_config')).toBe(true);
    const { message } = error as Error;
    expect(message).toMatch(/^\[countersign\] \[terminal\] /);
    return message;
  }
  throw new Error('expected createTerminalTransport to throw');
}

describe('createTerminalTransport options', () => {
  test('an unknown key is a ConfigError naming it and the options there are', () => {
    const message = refusal({ approver: 'user:you', ...streams(), promptTimout: '5m' });
    expect(message).toContain('unknown option "promptTimout"');
    expect(message).toContain('promptTimeout');
  });

  test('the approver is required', () => {
    for (const approver of [undefined, '', 42]) {
      expect(refusal({ approver, ...streams() })).toContain('approver is required');
    }
  });

  test('wrong values are refused, naming the option', () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { promptTimeout: 'soon' },
        `promptTimeout must be a positive duration such as 30000 or '5m', got "soon"`,
      ],
      [{ promptTimeout: -1 }, 'got -1'],
      [{ promptTimeout: 10n }, 'got a bigint'],
      [{ isTTY: 'yes' }, 'isTTY'],
      [{ input: 'stdin' }, 'input'],
      [{ output: {} }, 'output'],
      [{ name: '' }, 'name'],
    ];
    for (const [patch, expected] of cases) {
      expect(refusal({ approver: 'user:you', ...streams(), ...patch })).toContain(expected);
    }
  });

  test('not an object at all is refused', () => {
    for (const options of [null, undefined, 'user:you', []]) {
      expect(refusal(options)).toContain('options object');
    }
  });

  test('valid options make a transport with the name given', () => {
    const transport = createTerminalTransport({
      approver: 'user:you',
      ...streams(),
      isTTY: true,
      promptTimeout: '5m',
      name: 'desk',
    });
    expect(transport.name).toBe('desk');
  });
});
