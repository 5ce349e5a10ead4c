// A real approval server for the Python client's tests: memory store, dev issuers for approvers and
// agents, a small policy. Prints one JSON line (its URL and tokens), then serves until stdin closes.
import { createApprovalServer } from '../../../packages/http/src/index.js';
import { createDevIssuer } from '../../../packages/http/src/testing/index.js';
import { createMemoryStore } from '../../../packages/memory-store/src/index.js';

const approvers = await createDevIssuer({
  issuer: 'https://people.countersign.invalid',
  audience: 'countersign',
});
const agents = await createDevIssuer({
  issuer: 'https://agents.countersign.invalid',
  audience: 'countersign',
});
// Same issuer and audience as the agents' tokens, another key: what a forger can make.
const forger = await createDevIssuer({ issuer: agents.issuer, audience: agents.audience });

const server = await createApprovalServer(
  {
    port: 0,
    host: '127.0.0.1',
    oidc: { issuer: approvers.issuer, audience: approvers.audience, jwksUrl: approvers.jwksUrl },
    agents: {
      issuers: [
        {
          issuer: agents.issuer,
          audience: agents.audience,
          jwksUrl: agents.jwksUrl,
          actor: 'agent:py:{sub}',
        },
      ],
    },
    directory: { 'user:bob': { groups: ['dbas'] } },
    policy: [
      { id: 'reads', match: { action: 'db.read' }, effect: 'allow' },
      { id: 'drops', match: { action: 'db.drop' }, effect: 'deny' },
      {
        id: 'hurried',
        match: { action: 'db.hurry' },
        effect: 'require_approval',
        approvers: { groups: ['dbas'] },
        requestTtl: '1s',
      },
      {
        id: 'migrations',
        match: { action: 'db.migrate' },
        effect: 'require_approval',
        approvers: { groups: ['dbas'] },
        requestTtl: '5m',
        grantTtl: '60s',
      },
    ],
    sweepSeconds: 1,
    shutdownGraceSeconds: 1,
  },
  { store: createMemoryStore() },
);
const url = await server.listen();
process.stdout.write(
  `${JSON.stringify({
    url,
    agentToken: await agents.token('ci-runner'),
    approverToken: await approvers.token('bob'),
    forgedToken: await forger.token('ci-runner'),
  })}\n`,
);

// The test closes stdin when it is done (or dies): shut down then.
process.stdin.resume();
process.stdin.on('close', () => {
  void Promise.all([server.close(), approvers.close(), agents.close(), forger.close()]).then(() =>
    process.exit(0),
  );
});
