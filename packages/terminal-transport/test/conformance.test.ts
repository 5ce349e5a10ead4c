import { runTransportConformance } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { createTerminalTransport } from '../src/index.js';
import { count, fakeTerminal } from './helpers.js';

describe('terminal transport', () => {
  runTransportConformance(
    { describe, test, expect },
    {
      create() {
        const terminal = fakeTerminal();
        const transport = createTerminalTransport({
          approver: 'user:bob',
          input: terminal.input,
          output: terminal.output,
          isTTY: true,
        });
        return {
          transport,
          sent: async () => terminal.screen(),
          posts: async (requestId) => count(terminal.screen(), `approval needed: ${requestId}`),
        };
      },
    },
  );
});
