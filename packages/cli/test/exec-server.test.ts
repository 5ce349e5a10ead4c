// countersign exec end to end: a real approval server (memory store, a dev workload issuer) and the CLI as a child process.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApprovalServer, createApprovalServer, silentLogger } from '@countersign/http';
import {
  createDevIssuer,
  createGithubOidcEmulator,
  type DevIssuer,
  type GithubOidcEmulator,
} from '@countersign/http/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { ExitCode } from '../src/index.js';
import { type ExecRunning, node, startExec, startInProcess } from './exec-process.js';

vi.setConfig({ testTimeout: 120_000 });

const AGENT_AUDIENCE = 'https://approvals.test/agents';
const GITHUB_AUDIENCE = 'https://approvals.test/github';
let github: GithubOidcEmulator;
let approvers: DevIssuer;
let workloads: DevIssuer;
let server: ApprovalServer;
let url: string;
let token: string;
let dir: string;

beforeAll(async () => {
  approvers = await createDevIssuer({ audience: 'approvers' });
  workloads = await createDevIssuer({ issuer: 'https://ci.test', audience: AGENT_AUDIENCE });
  github = await createGithubOidcEmulator({ job: { repository: 'acme/infra' } });
  server = await createApprovalServer(
    {
      port: 0,
      policy: [
        { id: 'drops', match: { action: 'db.drop' }, effect: 'deny' },
        {
          id: 'migrations',
          match: { action: 'db.migrate' },
          effect: 'require_approval',
          approvers: { users: ['user:bob'] },
        },
        {
          id: 'quick',
          match: { action: 'db.quick' },
          effect: 'require_approval',
          approvers: { users: ['user:bob'] },
          requestTtl: '2s',
        },
      ],
      oidc: { issuer: approvers.issuer, audience: approvers.audience, jwksUrl: approvers.jwksUrl },
      agents: {
        issuers: [
          {
            issuer: workloads.issuer,
            audience: AGENT_AUDIENCE,
            jwksUrl: workloads.jwksUrl,
            actor: 'agent:ci:{sub}',
          },
          { preset: 'github-actions', audience: GITHUB_AUDIENCE, jwksUrl: github.jwksUrl },
        ],
      },
      sweepSeconds: 1,
    },
    { store: createMemoryStore(), logger: silentLogger },
  );
  url = await server.listen();
  token = await workloads.token('deploy-bot');
});
afterAll(async () => {
  await server.close();
  await approvers.close();
  await workloads.close();
  await github.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cs-exec-e2e-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MARK = "require('fs').writeFileSync('ran', 'yes')";
const ran = () => existsSync(join(dir, 'ran'));
let sessions = 0;

interface ExecOptions {
  token?: string;
  flags?: string[];
  session?: string;
}

const execArgs = (action: string, command: string[], options: ExecOptions) =>
  [
    ['--action', action, '--server', url, ...(options.flags ?? []), '--', ...command],
    {
      COUNTERSIGN_TOKEN: options.token ?? token,
      COUNTERSIGN_SESSION: options.session ?? `e2e-${++sessions}`,
    },
    dir,
  ] as const;

/** In this process: for cases that send no signal. */
const exec = (action: string, command: string[], options: ExecOptions = {}) =>
  startInProcess(...execArgs(action, command, options));

/** A child process, to send signals to. */
const execChild = (action: string, command: string[], options: ExecOptions = {}) =>
  startExec(...execArgs(action, command, options));

async function requestOf(run: ExecRunning): Promise<string> {
  await run.until(/\(request req_[a-z0-9]+/);
  return /\(request (req_[a-z0-9]+)/.exec(run.output().stderr)![1]!;
}

const decide = (id: string, outcome: 'approve' | 'deny') =>
  server.countersign.decide(id, { approver: 'user:bob', outcome, via: 'test' });

describe('refused: the command never runs', () => {
  test('denied by the approver: exit 77, the server message', async () => {
    const run = exec('db.migrate', node(MARK));
    await decide(await requestOf(run), 'deny');
    const end = await run.done;
    expect(end.code).toBe(ExitCode.ExecDenied);
    expect(end.stderr).toMatch(/not run: .*denied/i);
    expect(ran()).toBe(false);
  });

  test('denied by policy: exit 77 at once', async () => {
    const end = await exec('db.drop', node(MARK)).done;
    expect(end.code).toBe(ExitCode.ExecDenied);
    expect(ran()).toBe(false);
  });

  test('expired undecided: exit 65', async () => {
    const end = await exec('db.quick', node(MARK)).done;
    expect(end.code, end.stderr).toBe(ExitCode.ExecExpired);
    expect(ran()).toBe(false);
  });

  test('a forged token (signed by another key): 401, exit 67, no request', async () => {
    const other = await createDevIssuer({ issuer: workloads.issuer, audience: AGENT_AUDIENCE });
    const forged = await other.token('deploy-bot');
    await other.close();
    const before = (await server.countersign.audit.entries()).length;
    const end = await exec('db.migrate', node(MARK), { token: forged }).done;
    expect(end.code).toBe(ExitCode.ExecUnauthenticated);
    expect(end.stderr).toContain('401');
    expect(end.stderr).not.toContain(forged);
    const types = (await server.countersign.audit.entries()).slice(before).map((e) => e.type);
    expect(types).not.toContain('requested');
    expect(ran()).toBe(false);
  });

  test('Ctrl-C while pending: exit 66; the request stays pending (the API has no cancel) and nothing is claimed', async () => {
    const run = execChild('db.migrate', node(MARK));
    const id = await requestOf(run);
    run.child.kill('SIGINT');
    const end = await run.done;
    expect(end.code).toBe(ExitCode.ExecCancelled);
    expect(end.stderr).toContain('the agent API cannot cancel a request');
    expect((await server.countersign.getRequest(id))?.status).toBe('pending');
    expect(ran()).toBe(false);
  });

  test('a command changed after approval is a new request; the approval of the first covers only the first', async () => {
    const session = 'e2e-changed';
    const first = exec('db.migrate', node('process.exit(0)'), { session });
    const approvedId = await requestOf(first);
    await decide(approvedId, 'approve');
    expect((await first.done).code).toBe(0);
    const changed = exec('db.migrate', node(MARK), { session, flags: ['--wait', '1s'] });
    const changedId = await requestOf(changed);
    const end = await changed.done;
    expect(changedId).not.toBe(approvedId);
    expect(end.code).toBe(ExitCode.ExecPending);
    expect(ran()).toBe(false);
  });
});

describe('approved: the command runs once', () => {
  test('its exit code passes through; the outcome is recorded as failed with it; the env never carries the workload token', async () => {
    const script = "require('fs').writeFileSync('env.json', JSON.stringify(process.env)); process.exit(3)";
    const run = exec('db.migrate', node(script));
    const id = await requestOf(run);
    await decide(id, 'approve');
    const end = await run.done;
    expect(end.code, end.stderr).toBe(3);
    const request = await server.countersign.getRequest(id);
    expect(request?.status).toBe('failed');
    const failed = (await server.countersign.audit.entries()).find(
      (e) => e.type === 'failed' && e.requestId === id,
    );
    expect(failed?.detail).toContain('exit status 3');
    const env = JSON.parse(
      await import('node:fs').then((fs) => fs.readFileSync(join(dir, 'env.json'), 'utf8')),
    );
    expect(env.COUNTERSIGN_TOKEN).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain(token);
    expect(env.COUNTERSIGN_GRANT_TOKEN).toMatch(/^cst_/);
  });

  test('SIGTERM while running reaches the command; exec exits 128+15 and the server records signal SIGTERM', async () => {
    const run = execChild('db.migrate', node("console.log('ready'); setInterval(() => {}, 1000);"));
    const id = await requestOf(run);
    await decide(id, 'approve');
    await run.until(/ready/, 'stdout');
    run.child.kill('SIGTERM');
    const end = await run.done;
    expect(end.code).toBe(143);
    const failed = (await server.countersign.audit.entries()).find(
      (e) => e.type === 'failed' && e.requestId === id,
    );
    expect(failed?.detail).toContain('signal SIGTERM');
  });

  test('in GitHub Actions: a fresh OIDC token for --audience on every request; the job is the actor; the command never sees the request token', async () => {
    const run = startInProcess(
      [
        '--action',
        'db.migrate',
        '--server',
        url,
        '--audience',
        GITHUB_AUDIENCE,
        '--',
        ...node("require('fs').writeFileSync('env.json', JSON.stringify(process.env))"),
      ],
      { ...github.env(), GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/infra', GITHUB_RUN_ID: '4242' },
      dir,
    );
    const id = await requestOf(run);
    const request = await server.countersign.getRequest(id);
    expect(request).toMatchObject({
      actor: 'agent:github:acme/infra',
      sessionId: 'github:acme/infra/4242/1',
    });
    await decide(id, 'approve');
    const end = await run.done;
    expect(end.code, end.stderr).toBe(0);
    // open, at least one read, claim and outcome: a token each.
    expect(github.issued()).toBeGreaterThanOrEqual(4);
    const env = JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as Record<string, string>;
    expect(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN).toBeUndefined();
    expect(env.ACTIONS_ID_TOKEN_REQUEST_URL).toBeUndefined();
    expect(end.stderr).not.toContain(github.requestToken);
  });
});
