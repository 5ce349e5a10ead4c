import { PassThrough } from 'node:stream';
import { type Clock, type Countersign, createCountersign, type PolicyRule } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { createTerminalTransport, type TerminalTransportOptions } from '../src/index.js';

/** A fake terminal: type into `input`, read everything printed with `screen()`. */
export function fakeTerminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => {
    printed += chunk.toString('utf8');
  });
  return {
    input,
    output,
    screen: () => printed,
    type: (text: string) => input.write(text),
    /** Resolves once the screen shows `text` `times` times; fails the test after two seconds. */
    async waitFor(text: string, times = 1) {
      const deadline = Date.now() + 2_000;
      while (count(printed, text) < times) {
        if (Date.now() > deadline) throw new Error(`screen never showed "${text}" ${times}x:\n${printed}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

export function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

export const context = {
  actor: 'agent:bot',
  onBehalfOf: 'user:alice',
  reason: 'quarterly report',
  sessionId: 's1',
};

export const exportAction = (params: Record<string, unknown> = { table: 'customers' }) => ({
  name: 'db.export',
  resource: 'prod/customers',
  params,
  run: () => 'exported',
});

/** countersign with the terminal transport on a fake terminal, approver `user:you` unless overridden. */
export function setup(
  options: Partial<TerminalTransportOptions> & { clock?: Clock; requestTtl?: PolicyRule['requestTtl'] } = {},
) {
  const terminal = fakeTerminal();
  const { clock, requestTtl, ...transportOptions } = options;
  const transport = createTerminalTransport({
    approver: 'user:you',
    input: terminal.input,
    output: terminal.output,
    isTTY: true,
    ...transportOptions,
  });
  const cs: Countersign = createCountersign({
    store: createMemoryStore(),
    transports: [transport],
    clock,
    directory: { 'user:you': { groups: ['data-owners'] }, 'user:bob': { groups: ['data-owners'] } },
    policy: [
      {
        id: 'exports-need-owner',
        match: { action: 'db.export', resource: 'prod/*' },
        effect: 'require_approval',
        approvers: { groups: ['data-owners'] },
        quorum: 1,
        requestTtl,
      },
    ],
  });
  return { cs, transport, terminal };
}
