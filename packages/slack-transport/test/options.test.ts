import { isCountersignError } from '@countersign/core';
import { describe, expect, test } from 'vitest';
import { createSlackTransport, type SlackTransportOptions } from '../src/index.js';

const SECRET = 'signing-secret-never-in-a-message';
const TOKEN = 'xoxb-000000000000-never-in-a-message';
const valid: SlackTransportOptions = {
  token: TOKEN,
  signingSecret: SECRET,
  channel: 'C0APPROVALS',
  teamId: 'T0ACME',
};

/** The ConfigError createSlackTransport throws for `options`; fails the test if it throws anything else. */
function refusal(options: unknown): Error {
  try {
    createSlackTransport(options as SlackTransportOptions);
  } catch (error) {
    expect(isCountersignError(error, 'invalid_config')).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/^\[countersign\] \[slack\] /);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain(TOKEN);
    return error as Error;
  }
  throw new Error('expected createSlackTransport to throw');
}

describe('createSlackTransport options', () => {
  test('an unknown key is a ConfigError naming it and the options there are', () => {
    const error = refusal({ ...valid, singingSecret: SECRET });
    expect(error.message).toContain('unknown option "singingSecret"');
    expect(error.message).toContain('signingSecret');
  });

  test('each required option is named when missing or empty', () => {
    for (const key of ['token', 'signingSecret', 'channel', 'teamId'] as const) {
      expect(refusal({ ...valid, [key]: undefined }).message).toContain(`${key} is required`);
      expect(refusal({ ...valid, [key]: '' }).message).toContain(`${key} is required`);
    }
  });

  test('wrong values are refused, naming the option', () => {
    const cases: [Partial<Record<keyof SlackTransportOptions, unknown>>, string][] = [
      [{ maxBodyBytes: 512 }, 'maxBodyBytes'],
      [{ maxBodyBytes: 1.5e4 + 0.5 }, 'maxBodyBytes'],
      [{ requestTimeoutMs: 0 }, 'requestTimeoutMs'],
      [{ requestTimeoutMs: Number.NaN }, 'requestTimeoutMs'],
      [{ slackApiUrl: 'not a url' }, 'slackApiUrl'],
      [{ resolveApprover: 'slack:T0ACME:U0BOB' }, 'resolveApprover'],
      [{ clock: { now: () => 0 } }, 'clock'],
      [{ logger: { warn: () => {} } }, 'logger'],
      [{ name: '' }, 'name'],
      [{ publicUrl: 'approvals.example' }, 'publicUrl'],
      [{ publicUrl: 'javascript:alert(1)' }, 'publicUrl'],
    ];
    for (const [patch, key] of cases) expect(refusal({ ...valid, ...patch }).message).toContain(key);
  });

  test('not an object at all is refused', () => {
    for (const options of [null, undefined, 'xoxb', []]) {
      expect(refusal(options).message).toContain('options object');
    }
  });

  test('valid options, with every optional one, make a transport', () => {
    const transport = createSlackTransport({
      ...valid,
      slackApiUrl: 'http://127.0.0.1:1/api/',
      resolveApprover: () => null,
      maxBodyBytes: 1_024,
      requestTimeoutMs: 1,
      name: 'slack-ops',
      logger: { warn: () => {}, error: () => {} },
      publicUrl: 'https://approvals.example',
    });
    expect(transport.name).toBe('slack-ops');
  });
});
