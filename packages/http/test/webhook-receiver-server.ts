// A local webhook receiver on 127.0.0.1 that verifies like a real one and misbehaves on demand.
import {
  type CountersignCloudEvent,
  createMemoryReplayGuard,
  createWebhookReceiver,
  type Listening,
  listen,
} from '../src/index.js';

export type Behaviour = 'ok' | 'fail' | 'hang' | 'slow' | 'gone';

export interface TestReceiver {
  url: string;
  /** Verified, first-time events, in arrival order. */
  events: CountersignCloudEvent[];
  /** Every request that arrived, verified or not. */
  attempts: number;
  /** Requests refused for a bad signature. */
  rejected: number;
  /** Behaviours for the next requests, in order; then `ok`. */
  plan: Behaviour[];
  close(): Promise<void>;
}

export async function startReceiver(
  key: { secret: string } | { publicKey: string },
  slowMs = 200,
): Promise<TestReceiver> {
  const receiver = createWebhookReceiver({ ...key, replayGuard: createMemoryReplayGuard() });
  const hanging: (() => void)[] = [];
  const state: TestReceiver = {
    url: '',
    events: [],
    attempts: 0,
    rejected: 0,
    plan: [],
    close: async () => {},
  };
  const server: Listening = await listen(async (request) => {
    state.attempts += 1;
    const behaviour = state.plan.shift() ?? 'ok';
    if (behaviour === 'fail') return new Response('boom', { status: 500 });
    if (behaviour === 'gone') return new Response('gone', { status: 410 });
    if (behaviour === 'hang') {
      await new Promise<void>((resolve) => hanging.push(resolve));
      return new Response('too late', { status: 200 });
    }
    if (behaviour === 'slow') await new Promise((resolve) => setTimeout(resolve, slowMs));
    try {
      const { event, duplicate } = await receiver.verify(request);
      if (!duplicate) state.events.push(event);
      return new Response(null, { status: 204 });
    } catch {
      state.rejected += 1;
      return new Response('bad signature', { status: 401 });
    }
  });
  state.url = `${server.url}/hooks/countersign`;
  state.close = async () => {
    for (const release of hanging) release();
    await server.close(100);
  };
  return state;
}
