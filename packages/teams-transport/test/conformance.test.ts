import { runTransportConformance } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { createTeamsTransport } from '../src/index.js';
import { createTeamsEmulator, teamsEmulatorOptions } from '../src/testing/index.js';
import { collectText } from './helpers.js';

describe('teams transport', () => {
  runTransportConformance(
    { describe, test, expect },
    {
      async create() {
        const teams = createTeamsEmulator();
        await teams.start();
        const transport = createTeamsTransport(teamsEmulatorOptions(teams));
        const about = (requestId: string) =>
          teams.activities.filter((a) => JSON.stringify(a.history).includes(requestId));
        return {
          transport,
          async sent(requestId) {
            return about(requestId)
              .flatMap((a) => collectText(a.history))
              .join('\n');
          },
          async posts(requestId) {
            return about(requestId).length;
          },
          cleanup: () => teams.close(),
        };
      },
    },
  );
});
