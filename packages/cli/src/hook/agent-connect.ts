// The hook's real agent API client: @countersign/http's, loaded only when a tool call needs it.
import type { HookClient } from './hook-client.js';

type HttpModule = typeof import('@countersign/http');

const HTTP_PACKAGE = '@countersign/http';

/**
 * A client for `server` whose token comes from `workloadToken(env)`: COUNTERSIGN_TOKEN, or a GitHub
 * Actions OIDC token for `audience` (default: the server's origin, as `countersign exec` asks). The package loads on first use, so a tool call no rule maps
 * costs no import; a failure to load or to find a token rejects the first call (and so denies it).
 */
export function connectAgentApi(
  env: Readonly<Record<string, string | undefined>>,
): (server: string, audience: string | null) => HookClient {
  return (server, audience) => {
    const client = (import(HTTP_PACKAGE) as Promise<HttpModule>).then((http) =>
      http.createAgentClient({
        server,
        token: http.workloadToken(env, { audience: audience ?? new URL(server).origin }),
      }),
    );
    client.catch(() => undefined);
    return {
      open: async (body, options) => (await client).open(body, options),
      waitForDecision: async (callId, options) => (await client).waitForDecision(callId, options),
      claim: async (callId, options) => (await client).claim(callId, options),
      outcome: async (callId, body, options) => (await client).outcome(callId, body, options),
    };
  };
}
