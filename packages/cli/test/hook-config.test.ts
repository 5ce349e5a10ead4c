// The hook's mapping file is strict: every mistake is an error naming where it is, never a silent skip.
import { describe, expect, test } from 'vitest';
import { HookConfigError, parseHookConfig } from '../src/hook/hook-config.js';
import { matchesGlob } from '../src/hook/tool-mapping.js';

const bash = { tool: 'Bash', command: 'terraform apply*', action: 'shell.terraform.apply' };

describe('the hook config', () => {
  test.each([
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['an unknown top-level key', JSON.stringify({ rules: [], sever: 'x' }), /unknown key "sever"/],
    ['no rules', JSON.stringify({}), /"rules" must be an array/],
    [
      'a Bash rule without a command',
      JSON.stringify({ rules: [{ tool: 'Bash', action: 'a' }] }),
      /rules\[0\]\.command/,
    ],
    [
      'a path on a Bash rule',
      JSON.stringify({ rules: [{ ...bash, path: '/x' }] }),
      /unknown key "path" in rules\[0\]/,
    ],
    [
      'a Write rule without a path',
      JSON.stringify({ rules: [{ tool: 'Write', action: 'a' }] }),
      /rules\[0\]\.path/,
    ],
    [
      'an MCP server without a tool',
      JSON.stringify({ rules: [{ tool: 'mcp__github', action: 'a' }] }),
      /mcp__<server>__<tool>/,
    ],
    [
      'a tool it cannot map',
      JSON.stringify({ rules: [{ tool: 'Read', action: 'a' }] }),
      /"Bash", "Write", "Edit"/,
    ],
    ['an empty action', JSON.stringify({ rules: [{ ...bash, action: '' }] }), /rules\[0\]\.action/],
    ['a timeout of 0', JSON.stringify({ rules: [], timeoutSeconds: 0 }), /timeoutSeconds/],
    ['a fractional timeout', JSON.stringify({ rules: [], timeoutSeconds: 1.5 }), /timeoutSeconds/],
    ['an unknown outcome', JSON.stringify({ rules: [], outcome: 'later' }), /"outcome" must be/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseHookConfig(text)).toThrow(HookConfigError);
    expect(() => parseHookConfig(text)).toThrow(message);
  });

  test('reads a full config with its defaults', () => {
    const config = parseHookConfig(
      JSON.stringify({
        server: 'http://s',
        rules: [bash, { tool: 'mcp__github__merge_pull_request', action: 'github.pr.merge' }],
      }),
    );
    expect(config).toEqual({
      server: 'http://s',
      audience: null,
      timeoutSeconds: null,
      outcome: 'post-tool-use',
      stateDir: null,
      rules: [
        { ...bash, resource: null, risk: null },
        { tool: 'mcp__github__merge_pull_request', action: 'github.pr.merge', resource: null, risk: null },
      ],
    });
  });

  test('globs: * is any run of characters, everything else literal', () => {
    expect(matchesGlob('*terraform apply*', 'cd infra && terraform apply -auto-approve')).toBe(true);
    expect(matchesGlob('terraform apply*', 'cd infra && terraform apply')).toBe(false);
    expect(matchesGlob('/repo/infra/*', '/repo/infra/modules/a.tf')).toBe(true);
    expect(matchesGlob('rm -rf (x)?', 'rm -rf (x)?')).toBe(true);
    expect(matchesGlob('rm -rf (x)?', 'rm -rf x')).toBe(false);
    expect(matchesGlob('a*', 'a\nb')).toBe(true);
  });
});
