// countersign exec through an agent API (a scripted stand-in): refusals, interrupts and outages first.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { ExitCode } from '../src/index.js';
import { node, startExec, startInProcess } from './exec-process.js';
import { type FakeAgentApi, GOOD_TOKEN, startFakeAgentApi } from './fake-agent-api.js';
import { runCaptured } from './run-in-process.js';

// Each case starts a Node process that compiles the CLI on a shared machine.
vi.setConfig({ testTimeout: 120_000 });

let api: FakeAgentApi;
let dir: string;
const MARK = "require('fs').writeFileSync('ran', 'yes')";

beforeAll(async () => {
  api = await startFakeAgentApi();
});
afterAll(() => api.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cs-exec-'));
  api.calls.length = 0;
  api.tokens.length = 0;
  api.openAs = 'pending';
  api.claimRefusals.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ran = () => existsSync(join(dir, 'ran'));
const env = (extra: Record<string, string> = {}) => ({
  COUNTERSIGN_SERVER: api.url,
  COUNTERSIGN_TOKEN: GOOD_TOKEN,
  COUNTERSIGN_SESSION: 'sess-1',
  ...extra,
});
const args = (command: string[], flags: string[]) => [
  '--action',
  'db.migrate',
  '--resource',
  'db:prod',
  ...flags,
  '--',
  ...command,
];
/** In this process: for cases that send no signal. */
const exec = (command: string[], extra: Record<string, string> = {}, flags: string[] = []) =>
  startInProcess(args(command, flags), env(extra), dir);
/** A child process, to send signals to. */
const execChild = (command: string[], extra: Record<string, string> = {}, flags: string[] = []) =>
  startExec(args(command, flags), env(extra), dir);

describe('the command does not run', () => {
  test('no workload token at all: exit 67, saying what to set', async () => {
    const end = await startInProcess(
      ['--action', 'a', '--', ...node(MARK)],
      { COUNTERSIGN_SERVER: api.url, COUNTERSIGN_SESSION: 's' },
      dir,
    ).done;
    expect(end.code).toBe(ExitCode.ExecUnauthenticated);
    expect(end.stderr).toMatch(/COUNTERSIGN_TOKEN.*id-token: write/);
  });

  test('the server is down: fails closed with exit 69, the command never runs', async () => {
    const end = await exec(node(MARK), { COUNTERSIGN_SERVER: 'http://127.0.0.1:47' }).done;
    expect(end.code).toBe(ExitCode.ExecUnavailable);
    expect(end.stderr).toContain('cannot reach the approval server at http://127.0.0.1:47');
    expect(ran()).toBe(false);
  });

  test('SIGTERM while pending with --on-abort detach: exit 75 with the call id; the same exec re-attaches and runs once approved', async () => {
    const first = execChild(node(MARK), {}, ['--on-abort', 'detach']);
    await first.until(/waiting for approval/);
    first.child.kill('SIGTERM');
    const detached = await first.done;
    expect(detached.code).toBe(ExitCode.ExecPending);
    expect(detached.stderr).toMatch(
      /detached \(SIGTERM\): call req_\d+ is still pending until .*run the same exec again/,
    );
    const again = exec(node(MARK));
    await again.until(/waiting for approval/);
    expect(api.calls).toHaveLength(1);
    api.decide(api.calls[0]!.call.callId, 'approved');
    expect((await again.done).code).toBe(0);
    expect(ran()).toBe(true);
    expect(api.calls[0]!.outcome).toEqual({ status: 'executed', detail: 'exit status 0' });
  });

  test('--wait runs out: exit 75, still pending', async () => {
    const end = await exec(node(MARK), {}, ['--wait', '1s']).done;
    expect(end.code).toBe(ExitCode.ExecPending);
    expect(end.stderr).toMatch(/stopped waiting \(--wait\): call req_\d+ is still pending/);
    expect(ran()).toBe(false);
  });

  test('the same command again after it ran: refused as already run (exit 77), not run twice', async () => {
    api.openAs = 'allowed';
    expect((await exec(node(MARK)).done).code).toBe(0);
    rmSync(join(dir, 'ran'));
    const end = await exec(node(MARK)).done;
    expect(end.code).toBe(ExitCode.ExecDenied);
    expect(end.stderr).toContain('already ran under this approval (executed)');
    expect(ran()).toBe(false);
  });

  test('usage errors exit 64 before anything is asked', async () => {
    const cases = [
      ['exec', '--action', 'a', 'node'],
      ['exec', '--action', 'a', '--bogus', '--', 'node'],
      ['exec', '--', 'node'],
      ['exec', '--action', 'a', '--server', api.url, '--session', 's', '--param', 'command=x', '--', 'node'],
      ['exec', '--action', 'a', '--server', api.url, '--actor', 'user:a', '--', 'node'],
      ['exec', '--action', 'a', '--server', api.url, '--session', 's', '--on-abort', 'later', '--', 'node'],
    ];
    for (const args of cases) {
      const result = await runCaptured(args);
      expect(result.code, args.join(' ')).toBe(ExitCode.ExecUsage);
      expect(result.stderr).toContain("Run 'countersign exec --help' for usage.");
    }
    expect(api.calls).toHaveLength(0);
  });

  test('a command that is not there: 127 before anything is asked', async () => {
    const result = await runCaptured([
      'exec',
      '--action',
      'a',
      '--server',
      api.url,
      '--session',
      's',
      '--',
      'no-such-command-here',
    ]);
    expect(result.code).toBe(127);
    expect(api.calls).toHaveLength(0);
  });
});

describe('the command runs', () => {
  test('the command line, its directory and --env-param are bound into params; its env has the grant, never the workload token', async () => {
    api.openAs = 'allowed';
    const dump = node("require('fs').writeFileSync('env.json', JSON.stringify(process.env))");
    const end = await exec(
      dump,
      {
        DEPLOY_TAG: 'v42',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'gh-request-token',
        ACTIONS_ID_TOKEN_REQUEST_URL: `${api.url}/idtoken?api-version=2.0`,
        PGUSER: 'admin',
        SLACK_BOT_TOKEN: 'xoxb-secret',
      },
      ['--env-param', 'DEPLOY_TAG', '--param', 'ticket=OPS-1'],
    ).done;
    expect(end.code).toBe(0);
    expect(api.calls[0]!.body).toEqual({
      action: {
        name: 'db.migrate',
        resource: 'db:prod',
        params: { command: { argv: dump, cwd: dir }, env: { DEPLOY_TAG: 'v42' }, ticket: 'OPS-1' },
      },
      reason: `countersign exec: ${process.execPath} -e 'require('\\''fs'\\'').writeFileSync('\\''env.json'\\'', JSON.stringify(process.env))'`,
      sessionId: 'sess-1',
      idempotencyKey: expect.stringMatching(/^exec-[0-9a-f]{32}$/),
    });
    const dumped = readFileSync(join(dir, 'env.json'), 'utf8');
    const seen = JSON.parse(dumped) as Record<string, string>;
    for (const name of [
      'COUNTERSIGN_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_URL',
      'SLACK_BOT_TOKEN',
    ]) {
      expect(seen[name], name).toBeUndefined();
    }
    expect(dumped).not.toContain(GOOD_TOKEN);
    expect(seen).toMatchObject({
      COUNTERSIGN_GRANT_TOKEN: 'cs_grant_secret',
      COUNTERSIGN_CREDENTIAL_CONNECTION_STRING: 'postgres://cs_jit_1:pw%40x@db.test:5433/test',
      PGHOST: 'db.test',
      PGPORT: '5433',
      PGDATABASE: 'test',
      PGUSER: 'cs_jit_1',
      PGPASSWORD: 'pw@x',
      DEPLOY_TAG: 'v42',
    });
    expect(end.stderr).not.toContain('cs_grant_secret');
    expect(api.calls[0]!.outcome).toEqual({ status: 'executed', detail: 'exit status 0' });
  });

  test('a claim refused as call_not_held (a restarted server) is mended by opening the call again, once', async () => {
    api.openAs = 'allowed';
    api.claimRefusals.push('call_not_held');
    const end = await exec(node(MARK)).done;
    expect(end.code, end.stderr).toBe(0);
    expect(ran()).toBe(true);
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]!.claims).toBe(1);
  });

  test('SIGINT while running: a command that dies of it makes exec exit 130, recorded as signal SIGINT', async () => {
    api.openAs = 'allowed';
    const run = execChild(node("console.log('ready'); setInterval(() => {}, 1000);"));
    await run.until(/ready/, 'stdout');
    run.child.kill('SIGINT');
    const end = await run.done;
    expect(end.code).toBe(130);
    expect(api.calls[0]!.outcome).toEqual({ status: 'failed', detail: 'signal SIGINT' });
  });
});
