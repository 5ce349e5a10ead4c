// Microsoft Entra's client-credentials token endpoint: issuing the bot's access tokens and checking them.
import { randomBytes } from 'node:crypto';

const SCOPE = 'https://api.botframework.com/.default';

export interface TokenEndpointOptions {
  appId: string;
  appPassword: string;
  /** Lifetime of issued access tokens, in seconds. */
  lifetimeSeconds: number;
  now: () => number;
}

/** Issues opaque access tokens to the registered app and tells whether a connector call carries a live one. */
export class TokenEndpoint {
  readonly #options: TokenEndpointOptions;
  /** Access tokens issued, with their expiry. */
  readonly #tokens = new Map<string, number>();

  constructor(options: TokenEndpointOptions) {
    this.#options = options;
  }

  /** Microsoft Entra's client-credentials grant, with its documented error codes. */
  issue(method: string, contentType: string, body: string): [number, unknown] {
    const { appId, appPassword, lifetimeSeconds, now } = this.#options;
    const error = (status: number, code: string, description: string): [number, unknown] => [
      status,
      {
        error: code,
        error_description: description,
        error_codes: [],
        timestamp: new Date(now()).toISOString(),
      },
    ];
    if (method !== 'POST')
      return error(405, 'invalid_request', 'AADSTS900561: The endpoint only accepts POST requests.');
    if (!contentType.startsWith('application/x-www-form-urlencoded')) {
      return error(
        400,
        'invalid_request',
        'AADSTS900144: The request body must contain the following parameter: grant_type.',
      );
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      return error(
        400,
        'unsupported_grant_type',
        'AADSTS70003: The app requested an unsupported grant type.',
      );
    }
    if (form.get('client_id') !== appId) {
      return error(400, 'unauthorized_client', 'AADSTS700016: Application was not found in the directory.');
    }
    if (form.get('client_secret') !== appPassword) {
      return error(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    }
    if (form.get('scope') !== SCOPE)
      return error(400, 'invalid_scope', 'AADSTS70011: The provided value for scope is not valid.');
    const token = `emu.${randomBytes(24).toString('base64url')}`;
    this.#tokens.set(token, now() + lifetimeSeconds * 1000);
    return [
      200,
      {
        token_type: 'Bearer',
        expires_in: lifetimeSeconds,
        ext_expires_in: lifetimeSeconds,
        access_token: token,
      },
    ];
  }

  /** Whether an `Authorization` header holds an access token this endpoint issued and that has not expired. */
  authorized(header: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    const expires = token === undefined ? undefined : this.#tokens.get(token);
    return expires !== undefined && this.#options.now() < expires;
  }
}
