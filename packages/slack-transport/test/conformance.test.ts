import { runTransportConformance } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { createSlackTransport } from '../src/index.js';
import { createSlackEmulator } from '../src/testing/index.js';
import { collectText, emulatorOptions } from './helpers.js';

describe('slack transport', () => {
  runTransportConformance(
    { describe, test, expect },
    {
      async create() {
        const slack = createSlackEmulator();
        await slack.start();
        const transport = createSlackTransport(emulatorOptions(slack));
        const about = (requestId: string) =>
          [...slack.callsTo('chat.postMessage'), ...slack.callsTo('chat.update')].filter(
            (call) => call.response?.ok === true && JSON.stringify(call.args).includes(requestId),
          );
        return {
          transport,
          async sent(requestId) {
            const texts: string[] = [];
            for (const call of about(requestId)) collectText(call.args, texts);
            return texts.join('\n');
          },
          async posts(requestId) {
            return about(requestId).filter((call) => call.method === 'chat.postMessage').length;
          },
          cleanup: () => slack.close(),
        };
      },
    },
  );
});
