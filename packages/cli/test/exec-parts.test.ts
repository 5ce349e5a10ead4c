// exec's parts in process: the command's environment, finding the executable, the exit codes, what stderr shows.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ApprovalDeniedError, StoreError } from '@countersign/core';
import { AgentApiError, AgentNetworkError, AgentResponseError, WorkloadTokenError } from '@countersign/http';
import { afterAll, describe, expect, test } from 'vitest';
import { resolveExecutable, shellLine } from '../src/commands/exec-call.js';
import { commandEnv, credentialVariable } from '../src/commands/exec-env.js';
import { execFailure } from '../src/commands/exec-exit.js';
import { createProgress } from '../src/commands/exec-progress.js';
import { CliError, ExitCode } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cs-exec-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the command's environment", () => {
  test('drops the workload token, countersign secrets and stale grant values; adds the grant and credentials', () => {
    const env = commandEnv(
      {
        PATH: '/bin',
        COUNTERSIGN_TOKEN: 'jwt',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'rt',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x',
        COUNTERSIGN_PG_URL: 'postgres://admin:pw@db/x',
        COUNTERSIGN_GRANT_TOKEN: 'stale',
        COUNTERSIGN_CREDENTIAL_OLD: 'stale',
        PGPASSWORD: 'inherited',
      },
      'cst_new',
      { apiKey: 'k1', PGUSER: 'u' },
    );
    expect(env).toEqual({
      PATH: '/bin',
      PGPASSWORD: 'inherited',
      COUNTERSIGN_GRANT_TOKEN: 'cst_new',
      COUNTERSIGN_CREDENTIAL_API_KEY: 'k1',
      COUNTERSIGN_CREDENTIAL_PGUSER: 'u',
    });
  });

  test('a postgres connectionString sets libpq variables, replacing inherited ones; another URL does not', () => {
    const pg = commandEnv({ PGPASSWORD: 'admin-pw', PGHOST: 'other' }, 't', {
      connectionString: 'postgresql://cs_jit_1:p%2Fw@[::1]:6543/app%20db',
    });
    expect(pg).toMatchObject({
      PGHOST: '::1',
      PGPORT: '6543',
      PGDATABASE: 'app db',
      PGUSER: 'cs_jit_1',
      PGPASSWORD: 'p/w',
    });
    const other = commandEnv({ PGPASSWORD: 'admin-pw' }, 't', { connectionString: 'mysql://u:p@h/db' });
    expect(other.PGPASSWORD).toBe('admin-pw');
    expect(other.PGUSER).toBeUndefined();
  });

  test('credential names in upper snake case', () => {
    expect(credentialVariable('connectionString')).toBe('COUNTERSIGN_CREDENTIAL_CONNECTION_STRING');
    expect(credentialVariable('aws.session-token')).toBe('COUNTERSIGN_CREDENTIAL_AWS_SESSION_TOKEN');
  });
});

describe('finding the executable', () => {
  test('not on PATH: 127; a file that cannot be executed: 126; else its path', () => {
    writeFileSync(join(dir, 'plain'), 'x');
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool'), 0o755);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as CliError).exitCode;
      }
      return null;
    };
    expect(code(() => resolveExecutable('nope', dir, dir))).toBe(ExitCode.ExecNotFound);
    expect(code(() => resolveExecutable('plain', dir, dir))).toBe(ExitCode.ExecNotExecutable);
    expect(code(() => resolveExecutable('./plain', dir, ''))).toBe(ExitCode.ExecNotExecutable);
    expect(resolveExecutable('tool', '/', `/nonexistent:${dir}`)).toBe(join(dir, 'tool'));
    expect(resolveExecutable('./tool', dir, '')).toBe(join(dir, 'tool'));
  });

  test('the command line is shown as a shell would quote it', () => {
    expect(shellLine(['psql', '-c', "SELECT 'a'", '--x=1'])).toBe(`psql -c 'SELECT '\\''a'\\''' --x=1`);
  });
});

describe('exit codes for what stopped the command', () => {
  test.each([
    [new AgentApiError(401, 'unauthenticated', 'bad', null), ExitCode.ExecUnauthenticated],
    [new AgentApiError(403, 'not_an_agent', 'no', null), ExitCode.ExecUnauthenticated],
    [new AgentApiError(400, 'invalid_input', 'x', 'action.risk'), ExitCode.ExecUsage],
    [new AgentApiError(409, 'approval_expired', 'late', null), ExitCode.ExecExpired],
    [new AgentApiError(409, 'already_claimed', 'no', null), ExitCode.ExecDenied],
    [new AgentApiError(429, 'too_many_pending', 'wait', null), ExitCode.ExecPending],
    [new AgentApiError(503, 'keys_unavailable', 'later', null), ExitCode.ExecUnavailable],
    [new AgentApiError(404, 'call_not_found', 'gone', null), ExitCode.ExecProtocol],
    [new AgentNetworkError('down', null), ExitCode.ExecUnavailable],
    [new AgentResponseError(200, 'not a call'), ExitCode.ExecProtocol],
    [new WorkloadTokenError('none'), ExitCode.ExecUnauthenticated],
    [new ApprovalDeniedError('req_1', 'user:bob', null), ExitCode.ExecDenied],
    [new StoreError('read', new Error('down')), ExitCode.ExecUnavailable],
    [new Error('boom'), ExitCode.ExecInternal],
  ])('%s', (error, code) => {
    expect(execFailure(error).exitCode).toBe(code);
  });
});

describe('what stderr shows while waiting', () => {
  const capture = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    return { stream, text: () => text };
  };
  const view = {
    callId: 'req_1',
    approvalUrl: 'https://approvals.test/inbox/requests/req_1',
    approvals: { count: 0, required: 2 },
    expiresAt: 90_000,
    message: 'waiting for approval by user:bob\u001b[2J',
  };

  test('plain lines off a terminal: the request once, then each change of approvals; no escape sequence from the server', async () => {
    const out = capture();
    const progress = createProgress(out.stream, false, () => 0);
    progress.waiting(view);
    progress.waiting(view);
    progress.waiting({ ...view, approvals: { count: 1, required: 2 } });
    progress.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toBe(
      'countersign: waiting for approval by user:bob [2J (request req_1, expires 1970-01-01T00:01:30.000Z)\n' +
        'countersign: approve or deny at https://approvals.test/inbox/requests/req_1\n' +
        'countersign: 1 of 2 approvals\n',
    );
  });

  test('on a terminal, one status line rewritten in place with approvals and time left, cleared at the end', async () => {
    const out = capture();
    const progress = createProgress(out.stream, true, () => 0);
    progress.waiting({ ...view, approvals: { count: 1, required: 2 } });
    progress.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toContain(
      '\r\u001b[2Kcountersign: waiting for approval (1 of 2), 1:30 left: https://approvals.test/inbox/requests/req_1',
    );
    expect(out.text().endsWith('\r\u001b[2K')).toBe(true);
  });
});

test('a CliError passes through as it is', () => {
  const error = new CliError(ExitCode.ExecDenied, 'no');
  expect(execFailure(error)).toBe(error);
});
