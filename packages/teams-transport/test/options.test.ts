import { isCountersignError } from '@countersign/core';
import { describe, expect, test } from 'vitest';
import { createTeamsTransport, type TeamsTransportOptions } from '../src/index.js';

const valid: TeamsTransportOptions = {
  appId: 'app',
  appPassword: 'secret',
  tenantId: 'tenant',
  serviceUrl: 'https://smba.trafficmanager.net/teams/',
  conversationId: '19:x@thread.tacv2',
};

describe('options', () => {
  test('valid options make a transport named teams', () => {
    expect(createTeamsTransport(valid).name).toBe('teams');
    expect(createTeamsTransport({ ...valid, publicUrl: 'https://approvals.example' }).name).toBe('teams');
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown key', { channel: 'C1' }, /unknown key "channel"/],
    ['a misspelt key', { appPasword: 'x' }, /did you mean "appPassword"/],
    ['a missing app id', { appId: '' }, /appId is required/],
    ['a missing password', { appPassword: undefined }, /appPassword is required/],
    [
      'a serviceUrl on a look-alike host',
      { serviceUrl: 'https://smba.trafficmanager.net.evil.example/' },
      /not on allowedServiceOrigins/,
    ],
    [
      'a serviceUrl with credentials',
      { serviceUrl: 'https://u:p@smba.trafficmanager.net/teams/' },
      /not on allowedServiceOrigins/,
    ],
    [
      'an http serviceUrl for Microsoft',
      { serviceUrl: 'http://smba.trafficmanager.net/teams/' },
      /not on allowedServiceOrigins/,
    ],
    ['an empty allow-list', { allowedServiceOrigins: [] }, /non-empty array/],
    ['a tiny body cap', { maxBodyBytes: 10 }, /maxBodyBytes/],
    ['a bad metadata URL', { openIdMetadataUrl: 'file:///etc/passwd' }, /openIdMetadataUrl/],
    ['a resolveApprover that is not a function', { resolveApprover: 'teams' }, /resolveApprover/],
    ['a publicUrl that is not http(s)', { publicUrl: 'javascript:alert(1)' }, /publicUrl/],
  ])('%s is an invalid_config error naming it', (_, change, message) => {
    let error: unknown;
    try {
      createTeamsTransport({ ...valid, ...change } as TeamsTransportOptions);
    } catch (e) {
      error = e;
    }
    expect(isCountersignError(error, 'invalid_config')).toBe(true);
    expect(String((error as Error).message)).toMatch(message);
    expect(String((error as Error).message)).toContain('[teams]');
  });
});
