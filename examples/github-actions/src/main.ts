// Runs the deploy workflow's step locally: a GitHub OIDC emulator, the approval server, a person, and the job.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PolicyRule } from '@countersign/core';
import { createApprovalServer, createJsonLogger } from '@countersign/http';
import { createDevIssuer, createGithubOidcEmulator } from '@countersign/http/testing';
import { createMemoryStore } from '@countersign/memory-store';

const PORT = Number(process.env.PORT ?? 8789);
const SERVER_URL = `http://127.0.0.1:${PORT}`;
const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));

function say(who: string, text: string): void {
  process.stdout.write(`${who.padEnd(8)}| ${text}\n`);
}

// 1. GitHub, emulated: the job's token endpoint and the issuer's keys, on 127.0.0.1.
const job = {
  repository: 'acme/api',
  ref: 'refs/heads/main',
  sha: '9fceb02d0ae598e95dc970b74767f19372d61af8',
  runId: '8812',
};
const github = await createGithubOidcEmulator({ job, issuer: process.env.EXAMPLE_GITHUB_ISSUER });
say('github', `OIDC issuer ${github.issuer}, keys at ${github.jwksUrl}`);

// 2. The approval server. In production this block is the whole config: drop `issuer` and `jwksUrl`.
const policy: PolicyRule[] = [
  {
    id: 'production-deploys-need-a-release-manager',
    match: { action: 'deploy.production', actor: 'agent:github:acme/*' },
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
    requestTtl: '30m',
    grantTtl: '10m',
    risk: 'high',
  },
];
const people = await createDevIssuer({ issuer: 'https://people.example.invalid', audience: 'countersign' });
const server = await createApprovalServer(
  {
    port: PORT,
    publicUrl: SERVER_URL,
    policy,
    directory: { 'user:bob': {} },
    oidc: {
      issuer: people.issuer,
      audience: people.audience,
      jwksUrl: people.jwksUrl,
      identityPrefix: 'user:',
    },
    agents: {
      issuers: [
        {
          preset: 'github-actions',
          // The server's own audience: a token GitHub minted for another service is refused.
          audience: SERVER_URL,
          // Only main of acme's repositories may ask; the actor is agent:github:<repository>.
          require: { repository_owner: 'acme', ref: 'refs/heads/main' },
          // Local only: the emulator stands in for token.actions.githubusercontent.com.
          issuer: github.issuer,
          jwksUrl: github.jwksUrl,
        },
      ],
    },
  },
  {
    store: createMemoryStore(),
    logger: process.env.EXAMPLE_LOGS === '1' ? createJsonLogger() : createJsonLogger(() => {}),
  },
);
const url = await server.listen();
say('server', `approval server listening on ${url}`);

// 3. A person: bob approves through the decision API (simulated, clearly: a real one uses the inbox or Slack).
server.countersign.on('requested', async ({ request }) => {
  if (request === null) return;
  say(
    'server',
    `${request.actor} asks for ${request.action.name} on ${request.action.resource}: ${request.reason}`,
  );
  say('server', `approval page: ${url}/inbox/requests/${request.id}`);
  const token = await people.token('bob', { expiresInSeconds: 60 });
  const response = await fetch(`${url}/requests/${request.id}/decisions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ outcome: 'approve', comment: 'release window open (simulated approver)' }),
  });
  say('bob', `[simulated] approved through the decision API: HTTP ${response.status}`);
});

// 4. The job: the workflow's step, with what a runner gives a job that has `id-token: write`.
const shimDir = mkdtempSync(join(tmpdir(), 'countersign-example-'));
const exitCode = await runJob(shimDir);
say('job', `exited ${exitCode}`);

const verified = await server.countersign.audit.verify();
say('audit', verified.ok ? `verified: ${verified.entries} entries, hash chain intact.` : 'BROKEN');
await server.close();
await people.close();
await github.close();
rmSync(shimDir, { recursive: true, force: true });
process.exitCode = exitCode === 0 && verified.ok ? 0 : 1;

/** Runs scripts/deploy.sh with `countersign` on PATH: this repository's CLI, from its sources. */
async function runJob(shimDir: string): Promise<number | null> {
  const cli = join(EXAMPLE, '..', '..', 'packages', 'cli', 'src', 'bin.ts');
  const tsx = import.meta.resolve('tsx');
  const shim = join(shimDir, 'countersign');
  writeFileSync(
    shim,
    `#!/bin/sh\nexec "${process.execPath}" --conditions=@countersign/source --import "${tsx}" "${cli}" "$@"\n`,
  );
  chmodSync(shim, 0o755);
  const { COUNTERSIGN_TOKEN: _ignored, ...inherited } = process.env;
  const env = {
    ...inherited,
    PATH: `${shimDir}:${process.env.PATH ?? ''}`,
    ...github.env(),
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: job.repository,
    GITHUB_REF: job.ref,
    GITHUB_SHA: job.sha,
    GITHUB_RUN_ID: job.runId,
    GITHUB_RUN_ATTEMPT: '1',
    COUNTERSIGN_SERVER: url,
    COUNTERSIGN_AUDIENCE: SERVER_URL,
  };
  say('job', 'running scripts/deploy.sh (as the workflow does)');
  const child = spawn(join(EXAMPLE, 'scripts', 'deploy.sh'), [], {
    cwd: EXAMPLE,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = (stream: NodeJS.ReadableStream) => {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') say('job', line);
    });
  };
  relay(child.stdout);
  relay(child.stderr);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}
