import {
  ApprovalDeniedError,
  ApprovalExpiredError,
  type ApprovalRequest,
  isCountersignError,
  presentRequest,
  type TransportHost,
  UNVERIFIED_REASON_LABEL,
} from '@countersign/core';
import { createTestClock, sampleRequest } from '@countersign/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createTerminalTransport } from '../src/index.js';
import { context, count, exportAction, fakeTerminal, setup } from './helpers.js';

const PROMPT = 'Approve? [y/N] ';
const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const cs of open.splice(0)) await cs.close();
});

function started(options: Parameters<typeof setup>[0] = {}) {
  const result = setup(options);
  open.push(result.cs);
  return result;
}

async function deniedWith(promise: Promise<unknown>): Promise<ApprovalDeniedError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApprovalDeniedError);
  return error as ApprovalDeniedError;
}

describe('answers', () => {
  test("'y' approves and the guarded action runs", async () => {
    const { cs, terminal } = started();
    const result = cs.guard(exportAction(), context);
    await terminal.waitFor(PROMPT);
    terminal.type('y\n');
    expect(await result).toBe('exported');
    await terminal.waitFor('executed');
    const screen = terminal.screen();
    expect(screen).toMatch(/req_\S+: approved by user:you/);
    const decided = (await cs.audit.entries()).find((entry) => entry.type === 'approved');
    expect(decided).toMatchObject({ approver: 'user:you', outcome: 'approve', via: 'terminal' });
  });

  test.each(['YES', ' Yes '])('%j approves too', async (answer) => {
    const { cs, terminal } = started();
    const result = cs.guard(exportAction(), context);
    await terminal.waitFor(PROMPT);
    terminal.type(`${answer}\r\n`);
    expect(await result).toBe('exported');
  });

  test.each([
    ['n\n', 'declined at the terminal'],
    ['\n', 'declined at the terminal'],
    ['maybe\n', 'declined at the terminal (typed "maybe")'],
  ])('%j denies with comment %j', async (typed, comment) => {
    const { cs, terminal } = started();
    const result = cs.guard(exportAction(), context);
    await terminal.waitFor(PROMPT);
    terminal.type(typed);
    const error = await deniedWith(result);
    expect(error.deniedBy).toBe('user:you');
    expect(error.comment).toBe(comment);
    await terminal.waitFor('denied by user:you');
  });

  test('EOF denies', async () => {
    const { cs, terminal } = started();
    const result = cs.guard(exportAction(), context);
    await terminal.waitFor(PROMPT);
    terminal.input.end();
    expect((await deniedWith(result)).comment).toBe('input closed');
  });

  test('EOF before the question is asked denies without waiting', async () => {
    const { cs, terminal } = started();
    terminal.input.end();
    const error = await deniedWith(cs.guard(exportAction(), context));
    expect(error.comment).toBe('input closed');
  });

  test('Ctrl-C from a raw-mode terminal denies', async () => {
    const { cs, terminal } = started();
    const result = cs.guard(exportAction(), context);
    await terminal.waitFor(PROMPT);
    terminal.type('y\u0003');
    expect((await deniedWith(result)).comment).toBe('Ctrl-C at the terminal');
  });

  test('without a TTY it shows the request, never asks, and denies', async () => {
    const { cs, terminal } = started({ isTTY: false });
    const error = await deniedWith(cs.guard(exportAction(), context));
    expect(error.comment).toBe('no TTY: cannot ask a person');
    expect(terminal.screen()).toContain('approval needed');
    expect(terminal.screen()).not.toContain(PROMPT);
  });

  test('isTTY defaults to the input stream: a pipe is not a person', async () => {
    const terminal = fakeTerminal();
    const transport = createTerminalTransport({
      approver: 'user:you',
      input: terminal.input,
      output: terminal.output,
    });
    const decisions: unknown[] = [];
    await transport.start?.(hostRecording(decisions));
    await transport.deliver(sampleRequest({ expiresAt: Date.now() + 60_000 }), {
      signal: new AbortController().signal,
    });
    await settle();
    expect(decisions).toEqual([
      expect.objectContaining({ outcome: 'deny', comment: 'no TTY: cannot ask a person' }),
    ]);
  });

  test('no answer within promptTimeout denies, timed by the host clock', async () => {
    const clock = createTestClock();
    const { cs, terminal } = started({ clock, promptTimeout: '30s' });
    const result = cs.guard(exportAction(), context);
    const outcome = result.catch((e: unknown) => e);
    await terminal.waitFor(PROMPT);
    await clock.advance(29_000);
    expect((await cs.audit.entries()).some((entry) => entry.type === 'denied')).toBe(false);
    await clock.advance(1_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(ApprovalDeniedError);
    expect((error as ApprovalDeniedError).comment).toBe('no answer within 30s');
    expect(terminal.screen()).toContain('no answer within 30s: denying req_');
  });

  test('a self-approval is refused and printed; the request stays pending and expires', async () => {
    const clock = createTestClock();
    const { cs, terminal } = started({ clock, approver: 'agent:bot', requestTtl: '1m' });
    const outcome = cs.guard(exportAction(), context).catch((e: unknown) => e);
    await terminal.waitFor(PROMPT);
    terminal.type('y\n');
    await terminal.waitFor('your answer was not recorded');
    expect(terminal.screen()).toMatch(
      /your answer was not recorded: \[countersign\] agent:bot cannot decide/,
    );
    const requested = (await cs.audit.entries()).find((entry) => entry.type === 'requested')!;
    expect((await cs.getRequest(requested.requestId!))?.status).toBe('pending');
    const refused = (await cs.audit.entries()).find((entry) => entry.type === 'refused');
    expect(refused).toMatchObject({ approver: 'agent:bot', detail: 'self-approval', via: 'terminal' });
    await clock.advance(61_000);
    expect(await outcome).toBeInstanceOf(ApprovalExpiredError);
    await terminal.waitFor(': expired');
  });
});

describe('the screen', () => {
  test('shows who, what, the exact redacted params and hash, risk, rule, quorum, the unverified reason and expiry', async () => {
    const clock = createTestClock();
    const { cs, terminal } = started({ clock });
    const outcome = cs.guard(
      exportAction({ table: 'customers', apiKey: 'sk_live_abcdefghijklmnop' }),
      context,
    );
    await terminal.waitFor(PROMPT);
    const screen = terminal.screen();
    const request = (await cs.audit.entries()).find((entry) => entry.type === 'requested')!;
    expect(screen).toContain('agent:bot, on behalf of user:alice');
    expect(screen).toContain('db.export');
    expect(screen).toContain('prod/customers');
    expect(screen).toContain('"table": "customers"');
    expect(screen).toContain('"apiKey": "[REDACTED]"');
    expect(screen).not.toContain('sk_live');
    expect(screen).toContain(request.action!.paramsHash);
    expect(screen).toContain('medium');
    expect(screen).toContain('exports-need-owner: needs 1 approval(s) from user:bob, user:you');
    expect(screen).toContain('"quarterly report"');
    expect(screen).toContain('stated by the agent, unverified');
    expect(screen).toContain('expires   in 15m');
    terminal.type('n\n');
    await outcome.catch(() => {});
  });

  test("prints core's presentation: params in the order the hash covers, and its reason label", async () => {
    const { cs, terminal } = started();
    const result = cs.guard(exportAction({ zeta: 1, alpha: { b: 2, a: 3 } }), context);
    await terminal.waitFor(PROMPT);
    terminal.type('n\n');
    await deniedWith(result);
    const screen = terminal.screen();
    const request = (await cs.audit.entries()).find((entry) => entry.type === 'requested')!;
    const stored = (await cs.getRequest(request.requestId ?? ''))!;
    const indent = `\n${' '.repeat(12)}`;
    expect(screen).toContain(presentRequest(stored).what.paramsText.split('\n').join(indent));
    expect(screen.indexOf('"alpha"')).toBeLessThan(screen.indexOf('"zeta"'));
    expect(screen.toLowerCase()).toContain(UNVERIFIED_REASON_LABEL.toLowerCase());
  });

  test('neutralises ANSI, control, bidi and zero-width characters from params and reason', async () => {
    const { cs, terminal } = started();
    const hostile =
      '\u001b[2J\u001b]0;pwned\u0007\u009b31m ok\u202egpj.exe\u200b\u2066\u00ad\u{E0041}\u{1D173}';
    const result = cs.guard(exportAction({ [`file${hostile}`]: hostile }), {
      ...context,
      reason: `fine${hostile}\nrule      allow-everything`,
    });
    await terminal.waitFor(PROMPT);
    terminal.type('n\n');
    await deniedWith(result);
    const screen = terminal.screen();
    for (const raw of ['\u001b', '\u0007', '\u009b', '\u202e', '\u200b', '\u2066', '\u00ad', '\u{1D173}'])
      expect(screen).not.toContain(raw);
    expect(screen).toContain('fine⟨U+001B⟩[2J');
    expect(screen).toContain('⟨U+202E⟩gpj.exe');
    expect(screen).not.toContain('\u{E0041}');
    expect(screen).toContain('\\nrule      allow-everything');
    expect(screen).not.toMatch(/^rule {6}allow-everything/m);
  });

  test('asks one question at a time, in order', async () => {
    const { cs, terminal } = started();
    const first = cs.guard(exportAction({ table: 'first' }), context);
    await terminal.waitFor(PROMPT);
    const second = cs.guard(exportAction({ table: 'second' }), context);
    await settle();
    expect(count(terminal.screen(), PROMPT)).toBe(1);
    expect(terminal.screen()).not.toContain('"second"');
    terminal.type('y\n');
    expect(await first).toBe('exported');
    await terminal.waitFor(PROMPT, 2);
    const screen = terminal.screen();
    expect(screen.indexOf('"second"')).toBeGreaterThan(screen.indexOf('approved by user:you'));
    terminal.type('n\n');
    await deniedWith(second);
  });

  test('an answer typed before the question is shown answers nothing', async () => {
    const { cs, terminal } = started();
    terminal.type('y\n');
    const result = cs.guard(exportAction(), context);
    await terminal.waitFor(PROMPT);
    await settle();
    const id = (await cs.audit.entries()).find((entry) => entry.type === 'requested')!.requestId!;
    expect((await cs.getRequest(id))?.status).toBe('pending');
    terminal.type('n\n');
    await deniedWith(result);
  });

  test('a request settled elsewhere withdraws the prompt; a late answer changes nothing', async () => {
    const { cs, terminal } = started();
    const result = cs.guard(exportAction(), context);
    await terminal.waitFor(PROMPT);
    const id = (await cs.audit.entries()).find((entry) => entry.type === 'requested')!.requestId!;
    await cs.decide(id, { approver: 'user:bob', outcome: 'approve', via: 'api' });
    expect(await result).toBe('exported');
    await terminal.waitFor('prompt withdrawn');
    terminal.type('n\n');
    await settle();
    expect(terminal.screen()).not.toContain('not recorded');
    expect((await cs.getRequest(id))?.status).toBe('executed');
  });
});

describe('lifecycle', () => {
  test('close stops reading without destroying the input, and is idempotent', async () => {
    const { cs, terminal, transport } = started();
    const outcome = cs.guard(exportAction(), context).catch((e: unknown) => e);
    await terminal.waitFor(PROMPT);
    expect(terminal.input.listenerCount('data')).toBe(1);
    await transport.close?.();
    await transport.close?.();
    expect(terminal.input.listenerCount('data')).toBe(0);
    expect(terminal.input.destroyed).toBe(false);
    expect(terminal.screen()).toContain('prompt withdrawn: the terminal transport closed');
    await cs.close();
    expect(isCountersignError(await outcome)).toBe(true);
  });

  test('deliver is idempotent and resolves before anyone answers', async () => {
    const terminal = fakeTerminal();
    const transport = createTerminalTransport({
      approver: 'user:you',
      input: terminal.input,
      output: terminal.output,
      isTTY: true,
    });
    const decisions: unknown[] = [];
    await transport.start?.(hostRecording(decisions));
    const request = sampleRequest({ expiresAt: Date.now() + 60_000 });
    const signal = new AbortController().signal;
    const ref = await transport.deliver(request, { signal });
    expect(ref).toEqual({ prompt: '1' });
    expect(await transport.deliver(request, { signal })).toEqual(ref);
    expect(count(terminal.screen(), PROMPT)).toBe(1);
    expect(decisions).toEqual([]);
    terminal.type('y\n');
    await settle();
    expect(decisions).toEqual([
      expect.objectContaining({ approver: 'user:you', outcome: 'approve', via: 'terminal' }),
    ]);
    await transport.close?.();
  });
});

function hostRecording(decisions: unknown[]): TransportHost {
  return {
    clock: {
      now: () => Date.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as never),
    },
    async decide(requestId, decision) {
      decisions.push(decision);
      return { request: sampleRequest({ id: requestId }) as ApprovalRequest, approvals: 1, quorum: 1 };
    },
    getRequest: async () => null,
    recordRefusal: async () => {},
  };
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 30));
}
