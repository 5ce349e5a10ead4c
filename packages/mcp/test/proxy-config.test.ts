import { isCountersignError } from '@countersign/core';
import { describe, expect, test } from 'vitest';
import { parseProxyConfig } from '../src/index.js';

const MINIMAL = { server: { name: 'gh', command: 'npx' }, actor: 'agent:desktop', policy: [] };

function problem(config: unknown): string {
  try {
    parseProxyConfig(config);
  } catch (error) {
    expect(isCountersignError(error, 'invalid_config')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('parseProxyConfig', () => {
  test('a server without a type is a stdio server', () => {
    expect(parseProxyConfig(MINIMAL).server).toEqual({ type: 'stdio', name: 'gh', command: 'npx' });
  });

  test('an HTTP server takes a url and header secrets by environment variable name', () => {
    const config = parseProxyConfig({
      ...MINIMAL,
      server: {
        type: 'http',
        name: 'gh',
        url: 'https://mcp.example.com/mcp',
        headersEnv: { Authorization: 'GH_AUTH' },
      },
    });
    expect(config.server).toMatchObject({ type: 'http', url: 'https://mcp.example.com/mcp' });
  });

  test('unknown keys are named with their path, at any depth', () => {
    expect(problem({ ...MINIMAL, polcy: [] })).toContain('unknown key(s) "polcy"');
    expect(problem({ ...MINIMAL, tools: { x: { acton: 'a.b' } } })).toContain(
      'tools.x: unknown key(s) "acton"',
    );
    expect(
      problem({
        ...MINIMAL,
        server: { type: 'http', name: 'gh', url: 'https://x.example/mcp', command: 'npx' },
      }),
    ).toContain('server: unknown key(s) "command"');
  });

  test('secrets cannot be written in the file: Slack takes variable names only', () => {
    const slack = { type: 'slack', channel: 'C1', teamId: 'T1', listen: { port: 3000 } };
    expect(
      problem({ ...MINIMAL, transports: [{ ...slack, token: 'xoxb-1', signingSecretEnv: 'S' }] }),
    ).toContain('unknown key(s) "token"');
    expect(problem({ ...MINIMAL, store: { type: 'postgres', url: 'postgres://u:p@h/db' } })).toContain(
      'unknown key(s) "url"',
    );
  });

  test('a server name that cannot be part of an action name is refused', () => {
    expect(problem({ ...MINIMAL, server: { name: 'my server', command: 'npx' } })).toContain(
      'server.name: must be letters, digits, _ or -',
    );
  });
});
