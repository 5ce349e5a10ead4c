import { describe, expect, test } from 'vitest';
import { AUDIT_TYPES, type Countersign, type CredentialBroker, type Grant } from '../src/index.js';
import type { Credentials } from '../src/model/grants.js';
import type { PolicyRule } from '../src/model/rule.js';
import { createTestClock, type RecordingTransport } from '../src/testing/index.js';
import { CONTEXT, setup } from './helpers.js';

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** A broker issuing a fresh user, password and connection string per grant; `user` is the handle. */
function issuingBroker(extra: Record<string, string> = {}) {
  let counter = 0;
  const issued: Credentials[] = [];
  const broker: CredentialBroker = {
    name: 'fake',
    checkPrivileges: () => [],
    handle: (request) => `fake_${request.grantId}`,
    async issue(_request, handle) {
      // Characters that JSON escapes and URI encoding changes, so every form of it is tried.
      const password = `pw-${++counter}/Zq"8+Lr2Xv`;
      const credentials = {
        user: handle,
        password,
        connectionString: `postgres://${handle}:${password}@db.internal/prod`,
        ...extra,
      };
      issued.push(credentials);
      return credentials;
    },
    async revoke() {},
  };
  return { broker, issued };
}

const RULES: PolicyRule[] = [
  {
    id: 'reads',
    match: { action: 'db.read' },
    effect: 'allow',
    credentials: { broker: 'db', privileges: ['SELECT'] },
  },
  {
    id: 'exports',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
    editable: ['tables'],
    credentials: { broker: 'db', privileges: ['SELECT'] },
  },
];

function withBroker(extra: Record<string, string> = {}) {
  const fake = issuingBroker(extra);
  const env = setup({ clock: createTestClock(), policy: RULES, credentialBrokers: { db: fake.broker } });
  const events: unknown[] = [];
  for (const type of [...AUDIT_TYPES, 'transport_error'] as const) {
    env.cs.on(type, (event: unknown) => events.push(event));
  }
  return { ...env, ...fake, events };
}

/**
 * Every string that leaves core, one per line: the audit entries, every event, every delivery and
 * update, each string as it is (a secret JSON-escaped by a serialisation would not be found there).
 */
async function everythingShown(cs: Countersign, transport: RecordingTransport, events: unknown[]) {
  const strings: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (value !== null && typeof value === 'object')
      for (const child of Object.values(value)) walk(child);
  };
  walk([await cs.audit.entries(), events, transport.delivered, transport.updates]);
  return strings.join('\n');
}

describe('credentials a broker issued never leave through the action’s own error', () => {
  test('an allowed call whose action throws its password: not in the audit log, events or the caller-free records', async () => {
    const { cs, transport, events, issued } = withBroker();
    const error = await cs
      .guard(
        {
          name: 'db.read',
          params: {},
          run: (grant: Grant) => {
            throw new Error(`failed with password ${grant.credentials!.password}`);
          },
        },
        CONTEXT,
      )
      .catch((e: unknown) => e);
    const password = issued[0]!.password!;
    // The caller's own error is theirs, unchanged.
    expect(String(error)).toContain(password);
    const shown = await everythingShown(cs, transport, events);
    expect(shown).not.toContain(password);
    const failed = (await cs.audit.entries()).find((entry) => entry.type === 'failed')!;
    expect(failed.detail).toBe('Error: failed with password [REDACTED:credential]');
    await cs.close();
  });

  test('an approved call whose action throws every credential, encoded or not: nowhere in audit, events or transport updates', async () => {
    const { cs, transport, events, issued, clock } = withBroker();
    const call = cs
      .guard(
        {
          name: 'db.export',
          params: { tables: ['orders'] },
          run: (grant: Grant) => {
            const { user, password, connectionString } = grant.credentials!;
            throw new Error(
              `connect ${connectionString} failed for ${user}; password ${password}, json ${JSON.stringify({ password })}, url ${encodeURIComponent(password!)}`,
            );
          },
        },
        CONTEXT,
      )
      .catch((e: unknown) => e);
    const request = await transport.nextDelivery();
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await call;
    const { password, user, connectionString } = issued[0]!;
    const shown = await everythingShown(cs, transport, events);
    for (const secret of [password!, connectionString!]) {
      for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]) {
        expect(shown).not.toContain(form);
      }
    }
    const failed = transport.updates.at(-1)!.request;
    expect(failed.status).toBe('failed');
    // The connection string, then the password as written, JSON-escaped and URI-encoded.
    expect(failed.closedReason?.match(/\[REDACTED:credential\]/g)).toHaveLength(4);
    expect(failed.closedReason).not.toContain(password);
    // The user name is the broker's handle: non-secret by contract and audited already.
    expect(failed.closedReason).toContain(user);
    await cs.close();
  });

  test('a secret cut by the 500-character limit leaves no prefix of itself behind', async () => {
    const { cs, transport, events, issued } = withBroker();
    await cs
      .guard(
        {
          name: 'db.read',
          params: {},
          run: (grant: Grant) => {
            throw new Error(`${'x'.repeat(480)} ${grant.credentials!.password}`);
          },
        },
        CONTEXT,
      )
      .catch(() => {});
    const shown = await everythingShown(cs, transport, events);
    expect(shown).not.toContain(issued[0]!.password!.slice(0, 6));
    await cs.close();
  });

  test('values shorter than 4 characters are not scrubbed (they would erase ordinary words), longer ones are', async () => {
    const { cs, transport, events } = withBroker({ region: 'eu', tenant: 'acme-tenant' });
    await cs
      .guard(
        {
          name: 'db.read',
          params: {},
          run: () => {
            throw new Error('denied in eu for acme-tenant');
          },
        },
        CONTEXT,
      )
      .catch(() => {});
    const failed = (await cs.audit.entries()).find((entry) => entry.type === 'failed')!;
    expect(failed.detail).toBe('Error: denied in eu for [REDACTED:credential]');
    expect(await everythingShown(cs, transport, events)).not.toContain('acme-tenant');
    await cs.close();
  });
});

describe('approver comments and edits are scrubbed before the audit log', () => {
  const comment = `rotate it after: export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`;

  test('a comment with an exported AWS secret key, on decide and on a batch', async () => {
    const { cs, transport, events, clock } = withBroker();
    const one = cs.guard({ name: 'db.export', params: { tables: ['a'] }, run: () => 1 }, CONTEXT);
    const two = cs.guard({ name: 'db.export', params: { tables: ['b'] }, run: () => 2 }, CONTEXT);
    const first = await transport.nextDelivery();
    const second = await transport.nextDelivery();
    await clock.flush();
    await cs.decide(first.id, { approver: 'user:bob', outcome: 'approve', comment });
    await cs.decideBatch({
      approver: 'user:carol',
      outcome: 'approve',
      comment: `mysql -uroot -p${AWS_SECRET} and curl -u ops:${AWS_SECRET}`,
      requests: [{ id: second.id, paramsHash: second.action.paramsHash }],
    });
    expect(await Promise.all([one, two])).toEqual([1, 2]);
    const shown = await everythingShown(cs, transport, events);
    expect(shown).not.toContain(AWS_SECRET);
    const comments = (await cs.audit.entries()).map((entry) => entry.comment).filter((c) => c !== null);
    expect(comments).toEqual([
      'rotate it after: export AWS_SECRET_ACCESS_KEY=[REDACTED:assigned-secret]',
      'mysql -uroot -p[REDACTED:mysql-password] and curl -u ops:[REDACTED:curl-credentials]',
    ]);
    await cs.close();
  });

  test('an accepted edit records only values the approver was shown, so a secret in the call stays scrubbed', async () => {
    const { cs, transport, events, clock } = withBroker();
    // An edit may not touch a param holding a redacted item (refused at decide()); the secret sits beside it.
    const params = { tables: ['orders', 'customers'], note: `export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}` };
    const call = cs.guard({ name: 'db.export', params, run: () => 1 }, CONTEXT);
    const request = await transport.nextDelivery();
    expect(request.action.redactedPaths).toEqual(['note']);
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', edit: { tables: ['orders'] } });
    expect(await call).toBe(1);
    const approved = (await cs.audit.entries()).find((entry) => entry.type === 'approved')!;
    expect(approved.detail).toContain('["orders","customers"] -> ["orders"]');
    expect(await everythingShown(cs, transport, events)).not.toContain(AWS_SECRET);
    await cs.close();
  });

  test('a refused edit quoting a secret, as a value or as a path, is audited scrubbed', async () => {
    const { cs, transport, events, clock } = withBroker();
    const call = cs
      .guard({ name: 'db.export', params: { tables: ['a'] }, run: () => 1 }, CONTEXT)
      .catch((e: unknown) => e);
    const request = await transport.nextDelivery();
    await clock.flush();
    for (const edit of [
      { tables: [`export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`] },
      { [`aws configure set aws_secret_access_key ${AWS_SECRET}`]: 1 },
    ]) {
      const refused = await cs
        .decide(request.id, { approver: 'user:bob', outcome: 'approve', edit })
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'invalid_input' });
    }
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'deny' });
    await call;
    const refusals = (await cs.audit.entries()).filter((entry) => entry.type === 'refused');
    expect(refusals).toHaveLength(2);
    expect(await everythingShown(cs, transport, events)).not.toContain(AWS_SECRET);
    expect(refusals[1]!.detail).toContain('aws_secret_access_key [REDACTED:aws-cli-secret]');
    await cs.close();
  });
});
