// The emulator's keys over its life: created at start, rotated on demand, published, and signing tokens.
import { TeamsEmulatorError } from './errors.js';
import { createKey, type EmulatorKey, jwksDocument, type KeyChoice, signToken } from './keys.js';

/** The keys the emulator publishes in its JWKS and the three it can sign with. */
export class KeyRing {
  #keys: EmulatorKey[] = [];
  #signing: { endorsed: EmulatorKey; unendorsed: EmulatorKey; unpublished: EmulatorKey } | null = null;

  /** Creates the signing keys: endorsed for `msteams`, endorsed for another channel only, unpublished. */
  async create(): Promise<void> {
    const [endorsed, unendorsed, unpublished] = await Promise.all([
      createKey(['msteams', 'skype']),
      createKey(['webchat']),
      createKey(['msteams'], false),
    ]);
    this.#keys = [endorsed, unendorsed, unpublished];
    this.#signing = { endorsed, unendorsed, unpublished };
  }

  /** Publishes a new key and makes it the endorsed signing key; the old one stays published. */
  async rotate(endorsements: readonly string[] | null | undefined): Promise<void> {
    const key = await createKey(endorsements === undefined ? ['msteams', 'skype'] : endorsements);
    this.#keys.push(key);
    this.#requireSigning().endorsed = key;
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return jwksDocument(this.#keys);
  }

  /** The key that signs as `choice`. Throws before `create()`. */
  signingKey(choice: KeyChoice): EmulatorKey {
    return this.#requireSigning()[choice];
  }

  #requireSigning() {
    if (this.#signing === null) throw new TeamsEmulatorError('not started: await emulator.start() first');
    return this.#signing;
  }
}

/** What a connector-to-bot token carries besides the caller's extra claims and header. */
export interface ConnectorTokenOptions {
  key: EmulatorKey;
  /** Epoch milliseconds. */
  now: number;
  appId: string;
  serviceUrl: string;
  claims?: Record<string, unknown> | undefined;
  header?: Record<string, unknown> | undefined;
}

/** A token as the Bot Connector signs it for the bot: one hour, `iss`, `aud` and `serviceurl` set. */
export function signConnectorToken(options: ConnectorTokenOptions): Promise<string> {
  return signToken({
    key: options.key,
    now: options.now,
    lifetimeSeconds: 3_600,
    claims: {
      iss: 'https://api.botframework.com',
      aud: options.appId,
      serviceurl: options.serviceUrl,
      ...options.claims,
    },
    header: options.header,
  });
}
