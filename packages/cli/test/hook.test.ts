// countersign hook claude-code: every failure is a deny before the deadline; allow only after a claim.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  bashInput,
  call,
  configFile,
  decisionOf,
  FakeClient,
  runHook,
  standardConfig,
  writeInput,
} from './hook-fixtures.js';
import { runCaptured } from './run-in-process.js';

const apply = 'terraform apply -auto-approve';

function setup(extra: Record<string, unknown> = {}) {
  const config = standardConfig(extra);
  return { config, args: ['--config', configFile(config)] };
}

describe('countersign hook claude-code: failures deny', () => {
  test('malformed stdin is denied without asking the server', async () => {
    const { args } = setup();
    for (const stdin of [
      '{not json',
      '[]',
      '',
      JSON.stringify({ ...bashInput(apply), tool_use_id: undefined }),
    ]) {
      const client = new FakeClient();
      const result = await runHook(args, stdin, client);
      expect(result.code).toBe(0);
      const { decision, reason } = decisionOf(result.stdout);
      expect(decision).toBe('deny');
      expect(reason).toMatch(/could not read this tool call.*not run/);
      expect(client.opened).toEqual([]);
    }
  });

  test('a mapped tool call whose input lacks what the rule matches on is denied, not waved through', async () => {
    const { args } = setup();
    const input = bashInput(apply);
    const result = await runHook(
      args,
      JSON.stringify({ ...input, tool_input: { description: 'x' } }),
      new FakeClient(),
    );
    expect(decisionOf(result.stdout)).toMatchObject({
      decision: 'deny',
      reason: expect.stringContaining('tool_input.command'),
    });
  });

  test('a forged or expired token (401) is denied with a reason the model can act on', async () => {
    const { args } = setup();
    const refused = Object.assign(new Error('the token has expired'), {
      name: 'AgentApiError',
      status: 401,
      code: 'unauthenticated',
    });
    const client = new FakeClient({ open: async () => Promise.reject(refused) });
    const result = await runHook(args, JSON.stringify(bashInput(apply)), client);
    const { decision, reason } = decisionOf(result.stdout);
    expect(decision).toBe('deny');
    expect(reason).toContain("refused this agent's token (401 unauthenticated: the token has expired)");
    expect(reason).toContain('renew');
    expect(client.claimed).toEqual([]);
  });

  test('an unreachable server is denied, naming why', async () => {
    const { args } = setup();
    const down = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    const result = await runHook(
      args,
      JSON.stringify(bashInput(apply)),
      new FakeClient({ open: () => Promise.reject(down) }),
    );
    expect(decisionOf(result.stdout)).toEqual({
      decision: 'deny',
      reason: expect.stringContaining('cannot be reached (ECONNREFUSED)'),
    });
  });

  test('a 503 from the server is denied as an outage', async () => {
    const { args } = setup();
    const outage = Object.assign(new Error('the issuer keys cannot be fetched'), {
      status: 503,
      code: 'keys_unavailable',
    });
    const result = await runHook(
      args,
      JSON.stringify(bashInput(apply)),
      new FakeClient({ open: () => Promise.reject(outage) }),
    );
    expect(decisionOf(result.stdout).reason).toContain('unavailable (503 keys_unavailable');
  });

  test('no decision before the deadline: deny naming where the request waits, the wait aborted', async () => {
    const { args } = setup();
    let waitSignal: AbortSignal | null = null;
    let reachDeadline: () => void = () => undefined;
    const client = new FakeClient({
      wait: (_id, signal) => {
        waitSignal = signal;
        reachDeadline();
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      },
    });
    const asked: number[] = [];
    const sleep = (ms: number) => {
      asked.push(ms);
      return new Promise<void>((resolve) => {
        reachDeadline = resolve;
      });
    };
    const result = await runHook(
      [...args, '--timeout-seconds', '90'],
      JSON.stringify(bashInput(apply)),
      client,
      sleep,
    );
    const { decision, reason } = decisionOf(result.stdout);
    expect(decision).toBe('deny');
    expect(reason).toContain("no approval decision within this hook's limit of 90 s");
    expect(reason).toContain('at http://127.0.0.1:9/inbox/requests/req_1');
    expect(asked[0]).toBeLessThanOrEqual(90_000);
    expect(asked[0]).toBeGreaterThan(0);
    expect(waitSignal!.aborted).toBe(true);
    expect(client.claimed).toEqual([]);
  });

  test('a denial is a deny with the server message, and no claim', async () => {
    const { args } = setup();
    const denied = call('denied', {
      code: 'approval_denied',
      message: 'denied by user:bob: not on a Friday',
    });
    const client = new FakeClient({ wait: async () => denied });
    const result = await runHook(args, JSON.stringify(bashInput(apply)), client);
    const { decision, reason } = decisionOf(result.stdout);
    expect(decision).toBe('deny');
    expect(reason).toContain('denied by user:bob: not on a Friday (approval_denied)');
    expect(reason).toContain('Do not retry it unchanged');
    expect(client.claimed).toEqual([]);
    expect(result.stderr).toContain('not on a Friday');
  });

  test('a claim that loses (already claimed) is a deny', async () => {
    const { args } = setup();
    const lost = Object.assign(new Error('the grant was already claimed'), {
      status: 409,
      code: 'already_claimed',
    });
    const result = await runHook(
      args,
      JSON.stringify(bashInput(apply)),
      new FakeClient({ claim: () => Promise.reject(lost) }),
    );
    expect(decisionOf(result.stdout)).toMatchObject({
      decision: 'deny',
      reason: expect.stringContaining('409 already_claimed'),
    });
  });

  test('an unexpected error anywhere is a deny', async () => {
    const { args } = setup();
    const result = await runHook(
      args,
      JSON.stringify(bashInput(apply)),
      new FakeClient({ wait: () => Promise.reject(new RangeError('boom')) }),
    );
    expect(decisionOf(result.stdout)).toMatchObject({
      decision: 'deny',
      reason: expect.stringContaining('boom'),
    });
  });

  test('an error no promise caught (a crash) is answered with deny, and nothing else is printed after it', async () => {
    const { args } = setup();
    let crash: ((error: unknown) => string | null) | null = null;
    const printed: Array<string | null> = [];
    const client = new FakeClient({
      open: async () => {
        printed.push(crash!(new Error('socket exploded in a callback')));
        printed.push(crash!(new Error('and again')));
        throw new Error('the process would have exited already');
      },
    });
    const result = await runHook(args, JSON.stringify(bashInput(apply)), client, undefined, (answer) => {
      crash = answer;
      return () => {
        crash = null;
      };
    });
    expect(decisionOf(printed[0]!)).toMatchObject({
      decision: 'deny',
      reason: expect.stringContaining('socket exploded'),
    });
    expect(printed[1]).toBeNull();
    expect(result.stdout).toBe('');
    expect(crash).toBeNull();
  });

  test('a broken config denies every call, naming the key at fault', async () => {
    const bad = { ...standardConfig(), rules: [{ tool: 'Bash', command: '*', action: 'a', colour: 'red' }] };
    const result = await runHook(
      ['--config', configFile(bad)],
      JSON.stringify(bashInput('ls')),
      new FakeClient(),
    );
    expect(decisionOf(result.stdout)).toMatchObject({
      decision: 'deny',
      reason: expect.stringContaining('unknown key "colour" in rules[0]'),
    });
    const missing = await runHook(
      ['--config', '/nonexistent/countersign.json'],
      JSON.stringify(bashInput('ls')),
      new FakeClient(),
    );
    expect(decisionOf(missing.stdout).reason).toContain('cannot read /nonexistent/countersign.json (ENOENT)');
    const flag = await runHook(
      [...setup().args, '--timeout', '5'],
      JSON.stringify(bashInput(apply)),
      new FakeClient(),
    );
    expect(decisionOf(flag.stdout).reason).toContain('unknown flag --timeout');
  });

  test('PostToolUse input given to the PreToolUse hook is a deny', async () => {
    const { args } = setup();
    const input = { ...bashInput(apply), hook_event_name: 'PostToolUse', tool_response: {} };
    const result = await runHook(args, JSON.stringify(input), new FakeClient());
    expect(decisionOf(result.stdout).reason).toContain('install --post');
  });
});

describe('countersign hook claude-code: allow and no opinion', () => {
  test('approved: opens with session_id and tool_use_id, claims, then allows; outcome from PostToolUse', async () => {
    const { config, args } = setup();
    const client = new FakeClient();
    const result = await runHook(args, JSON.stringify(bashInput(apply)), client);
    expect(decisionOf(result.stdout)).toEqual({
      decision: 'allow',
      reason: 'countersign: approved by user:bob',
    });
    expect(client.opened).toEqual([
      {
        action: {
          name: 'shell.terraform.apply',
          resource: 'infra:prod',
          params: { command: apply },
          risk: 'high',
        },
        reason: 'Claude Code: Apply the Terraform plan',
        sessionId: 'abc123',
        idempotencyKey: 'toolu_01ABC123',
      },
    ]);
    expect(client.claimed).toEqual(['req_1']);
    expect(client.outcomes).toEqual([]);
    expect(readdirSync(config.stateDir)).toHaveLength(1);

    const post = {
      ...bashInput(apply),
      hook_event_name: 'PostToolUse',
      tool_response: { stdout: 'Apply complete!', stderr: '', interrupted: false, isImage: false },
    };
    const recorded = await runHook([...args, '--post'], JSON.stringify(post), client);
    expect(recorded).toMatchObject({ code: 0, stdout: '' });
    expect(client.outcomes).toEqual([
      { callId: 'req_1', status: 'executed', detail: 'Claude Code ran the tool' },
    ]);
    expect(readdirSync(config.stateDir)).toEqual([]);
  });

  test('a policy-allowed call is claimed and allowed without waiting', async () => {
    const { args } = setup();
    const client = new FakeClient({
      open: async () => call('allowed', { callId: 'call_1', message: 'allowed by policy' }),
    });
    const result = await runHook(args, JSON.stringify(bashInput(apply)), client);
    expect(decisionOf(result.stdout).decision).toBe('allow');
    expect(client.waited).toEqual([]);
    expect(client.claimed).toEqual(['call_1']);
  });

  test('PostToolUseFailure records failed with the error; a tool call the hook never claimed is left alone', async () => {
    const { args } = setup();
    const client = new FakeClient();
    await runHook(args, JSON.stringify(bashInput(apply, 'toolu_02')), client);
    const failure = {
      ...bashInput(apply, 'toolu_02'),
      hook_event_name: 'PostToolUseFailure',
      error: 'Command exited with non-zero status code 1',
      is_interrupt: false,
    };
    expect((await runHook([...args, '--post'], JSON.stringify(failure), client)).code).toBe(0);
    expect(client.outcomes).toEqual([
      {
        callId: 'req_1',
        status: 'failed',
        detail: 'Claude Code reported the tool failed: Command exited with non-zero status code 1',
      },
    ]);
    const other = { ...bashInput('ls', 'toolu_03'), hook_event_name: 'PostToolUse', tool_response: {} };
    expect(await runHook([...args, '--post'], JSON.stringify(other), client)).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(client.outcomes).toHaveLength(1);
  });

  test('outcome "at-claim" records executed ("handed to Claude Code") when it allows', async () => {
    const { config, args } = setup({ outcome: 'at-claim' });
    const client = new FakeClient();
    const result = await runHook(args, JSON.stringify(bashInput(apply)), client);
    expect(decisionOf(result.stdout).decision).toBe('allow');
    expect(client.outcomes).toEqual([
      { callId: 'req_1', status: 'executed', detail: 'handed to Claude Code' },
    ]);
    expect(existsSync(config.stateDir) ? readdirSync(config.stateDir) : []).toEqual([]);
  });

  test('a tool call no rule maps gets no opinion: nothing on stdout, exit 0', async () => {
    const { args } = setup();
    const client = new FakeClient();
    const read = { ...bashInput('x'), tool_name: 'Read', tool_input: { file_path: '/etc/hosts' } };
    for (const input of [
      read,
      bashInput('terraform plan'),
      writeInput('/home/user/my-project/src/a.ts', 'x'),
    ]) {
      expect(await runHook(args, JSON.stringify(input), client)).toEqual({ code: 0, stdout: '', stderr: '' });
    }
    expect(client.opened).toEqual([]);
  });

  test('unknown input fields are ignored', async () => {
    const { args } = setup();
    const input = bashInput(apply, 'toolu_04', {
      agent_id: 'sub-1',
      future_field: { nested: [1, 2] },
      effort: 'high',
    });
    const result = await runHook(args, JSON.stringify(input), new FakeClient());
    expect(decisionOf(result.stdout).decision).toBe('allow');
  });

  test('Write by path glob and MCP tools map to their actions with the tool input as params', async () => {
    const { args } = setup();
    const client = new FakeClient();
    await runHook(
      args,
      JSON.stringify(writeInput('/home/user/my-project/infra/main.tf', 'resource {}')),
      client,
    );
    const mcp = {
      ...bashInput('x', 'toolu_05'),
      tool_name: 'mcp__github__merge_pull_request',
      tool_input: { owner: 'acme', repo: 'api', pull_number: 42 },
    };
    await runHook(args, JSON.stringify(mcp), client);
    expect(client.opened.map((body) => body.action)).toEqual([
      {
        name: 'file.write',
        resource: 'file:/home/user/my-project/infra/main.tf',
        params: { path: '/home/user/my-project/infra/main.tf', content: 'resource {}' },
      },
      { name: 'github.pr.merge', params: { owner: 'acme', repo: 'api', pull_number: 42 } },
    ]);
  });

  test('parallel tool calls with distinct tool_use_ids open distinct calls and keep distinct state', async () => {
    const { config, args } = setup();
    let next = 0;
    const client = new FakeClient({
      open: async () => call('pending', { callId: `req_${++next}` }),
      wait: async (id) => call('approved', { callId: id, message: `approved ${id}` }),
    });
    const ids = ['toolu_A', 'toolu_B', 'toolu_C'];
    const results = await Promise.all(
      ids.map((id) => runHook(args, JSON.stringify(bashInput(apply, id)), client)),
    );
    expect(results.map((r) => decisionOf(r.stdout).decision)).toEqual(['allow', 'allow', 'allow']);
    expect(client.opened.map((body) => body.idempotencyKey).sort()).toEqual(ids);
    expect([...client.claimed].sort()).toEqual(['req_1', 'req_2', 'req_3']);
    expect(readdirSync(config.stateDir)).toHaveLength(3);
    await Promise.all(
      ids.map((id) =>
        runHook(
          [...args, '--post'],
          JSON.stringify({ ...bashInput(apply, id), hook_event_name: 'PostToolUse', tool_response: {} }),
          client,
        ),
      ),
    );
    expect(client.outcomes.map((o) => o.callId).sort()).toEqual(['req_1', 'req_2', 'req_3']);
  });
});

describe('countersign hook: the command line', () => {
  test('an agent it does not know is a usage error (exit 2, which Claude Code treats as a block)', async () => {
    const result = await runCaptured(['hook', 'cursor']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('\'hook\' supports one agent, claude-code, not "cursor"');
    expect(result.stdout).toBe('');
  });

  test('--help documents the time limit and the settings.json timeout above it', async () => {
    const result = await runCaptured(['hook', 'claude-code', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--timeout-seconds <n>');
    expect(result.stdout).toContain('at least 30 s above n');
    expect((await runCaptured(['--help'])).stdout).toContain('hook claude-code');
  });
});
