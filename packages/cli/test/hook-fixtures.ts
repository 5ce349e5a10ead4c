// Claude Code hook payloads shaped as its hooks reference documents them, and a fake agent API.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { type HookDeps, hookCommand } from '../src/commands/hook.js';
import type { CallOptions, HookCall, HookClient, HookOpenBody } from '../src/hook/hook-client.js';

/** A PreToolUse input for the Bash tool, as Claude Code sends it on stdin. */
export function bashInput(
  command: string,
  toolUseId = 'toolu_01ABC123',
  extra: Record<string, unknown> = {},
) {
  return {
    session_id: 'abc123',
    transcript_path: '/home/user/.claude/projects/my-project/00893aaf-19fa-41d2-8238-13269b9b3ca0.jsonl',
    cwd: '/home/user/my-project',
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: {
      command,
      description: 'Apply the Terraform plan',
      timeout: 120000,
      run_in_background: false,
    },
    tool_use_id: toolUseId,
    ...extra,
  };
}

export function writeInput(filePath: string, content: string, toolUseId = 'toolu_01WRITE') {
  return {
    session_id: 'abc123',
    transcript_path: '/home/user/.claude/projects/my-project/t.jsonl',
    cwd: '/home/user/my-project',
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Write',
    tool_input: { file_path: filePath, content },
    tool_use_id: toolUseId,
  };
}

export function call(status: HookCall['status'], extra: Partial<HookCall> = {}): HookCall {
  return {
    callId: 'req_1',
    status,
    code: null,
    message:
      status === 'pending' ? 'waiting for approval by user:bob (1 of 1 needed)' : `the call is ${status}`,
    approvalUrl: 'http://127.0.0.1:9/inbox/requests/req_1',
    ...extra,
  };
}

type Step<A extends unknown[]> = (...args: A) => Promise<HookCall>;

/** A scripted agent API: each method answers as the test says, and every call is recorded. */
export class FakeClient implements HookClient {
  opened: HookOpenBody[] = [];
  claimed: string[] = [];
  outcomes: Array<{ callId: string; status: string; detail: string }> = [];
  waited: string[] = [];
  signals: AbortSignal[] = [];
  constructor(
    private readonly steps: {
      open?: Step<[HookOpenBody]>;
      wait?: Step<[string, AbortSignal]>;
      claim?: Step<[string]>;
    } = {},
  ) {}
  async open(body: HookOpenBody, options: CallOptions) {
    this.opened.push(body);
    this.signals.push(options.signal);
    return (this.steps.open ?? (async () => call('pending')))(body);
  }
  async waitForDecision(callId: string, options: CallOptions) {
    this.waited.push(callId);
    return (this.steps.wait ?? (async () => call('approved', { message: 'approved by user:bob' })))(
      callId,
      options.signal,
    );
  }
  async claim(callId: string) {
    this.claimed.push(callId);
    return (this.steps.claim ?? (async (id: string) => call('running', { callId: id })))(callId);
  }
  async outcome(callId: string, body: { status: 'executed' | 'failed'; detail: string }) {
    this.outcomes.push({ callId, ...body });
    return call(body.status, { callId });
  }
}

export function configFile(config: unknown, dir = mkdtempSync(join(tmpdir(), 'cs-hook-'))): string {
  const path = join(dir, 'countersign.json');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

export function standardConfig(extra: Record<string, unknown> = {}) {
  return {
    server: 'http://127.0.0.1:9',
    stateDir: mkdtempSync(join(tmpdir(), 'cs-hook-state-')),
    rules: [
      {
        tool: 'Bash',
        command: 'terraform apply*',
        action: 'shell.terraform.apply',
        resource: 'infra:prod',
        risk: 'high',
      },
      { tool: 'Write', path: '/home/user/my-project/infra/*', action: 'file.write' },
      { tool: 'mcp__github__merge_pull_request', action: 'github.pr.merge' },
    ],
    ...extra,
  };
}

/** Runs the hook as Claude Code would: stdin text in, stdout and stderr captured. */
export async function runHook(
  args: readonly string[],
  stdin: string,
  client: HookClient,
  sleep: HookDeps['sleep'] = (_ms, signal) =>
    new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  onCrash?: HookDeps['onCrash'],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const code = await hookCommand(
    ['claude-code', ...args],
    { stdout, stderr },
    {
      stdin: Readable.from([Buffer.from(stdin)]),
      env: {},
      connect: () => client,
      sleep,
      onCrash,
    },
  );
  return { code, stdout: out, stderr: err };
}

/** The one JSON object on stdout, checked to be exactly the documented shape. */
export function decisionOf(stdout: string): { decision: string; reason: string } {
  const lines = stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== 1) throw new Error(`expected one line on stdout, got ${lines.length}`);
  const output = JSON.parse(lines[0]!) as { hookSpecificOutput: Record<string, string> };
  const keys = Object.keys(output).join(',');
  const inner = Object.keys(output.hookSpecificOutput).sort().join(',');
  if (
    keys !== 'hookSpecificOutput' ||
    inner !== 'hookEventName,permissionDecision,permissionDecisionReason'
  ) {
    throw new Error(`unexpected output shape: ${lines[0]}`);
  }
  if (output.hookSpecificOutput.hookEventName !== 'PreToolUse')
    throw new Error('hookEventName is not PreToolUse');
  return {
    decision: output.hookSpecificOutput.permissionDecision!,
    reason: output.hookSpecificOutput.permissionDecisionReason!,
  };
}
