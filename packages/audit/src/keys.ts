// Loading Ed25519 signing and verifying keys from KeyObjects or PEM text.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '@countersign/core';

/** An Ed25519 key as a `KeyObject`, or its PEM text. */
export type KeyInput = KeyObject | string;

/** The public keys an auditor trusts, by key id. */
export type PublicKeys = ReadonlyMap<string, KeyInput> | Readonly<Record<string, KeyInput>>;

/** Key ids appear on their own in a checkpoint's signed text, so they are one printable word. */
const KEY_ID = /^[\x21-\x7e]{1,128}$/;

export function checkKeyId(keyId: unknown, where: string): string {
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
    throw new ConfigError(
      `[audit] ${where}: keyId must be 1 to 128 printable ASCII characters without spaces`,
    );
  }
  return keyId;
}

/** The private key a checkpointer signs with. Its material never appears in an error. */
export function loadPrivateKey(key: unknown): KeyObject {
  let object: KeyObject;
  try {
    object = isKeyObject(key) ? key : createPrivateKey(requirePem(key));
  } catch (error) {
    throw new ConfigError('[audit] key is not a readable Ed25519 private key (a KeyObject or PEM)', {
      cause: stripped(error),
    });
  }
  if (object.type !== 'private' || object.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(
      `[audit] key must be an Ed25519 private key, got a ${object.type} ${object.asymmetricKeyType ?? 'secret'} key`,
    );
  }
  return object;
}

/** A verifying key: a public key, or the public half of a private one. */
export function loadPublicKey(key: unknown, keyId: string): KeyObject {
  let object: KeyObject;
  try {
    if (isKeyObject(key)) object = key.type === 'private' ? createPublicKey(key) : key;
    else object = createPublicKey(requirePem(key));
  } catch (error) {
    throw new ConfigError(
      `[audit] public key "${keyId}" is not a readable Ed25519 key (a KeyObject or PEM)`,
      {
        cause: stripped(error),
      },
    );
  }
  if (object.type !== 'public' || object.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(`[audit] public key "${keyId}" must be an Ed25519 key`);
  }
  return object;
}

export function loadPublicKeys(keys: PublicKeys): Map<string, KeyObject> {
  const entries = keys instanceof Map ? [...keys.entries()] : Object.entries(keys);
  const loaded = new Map<string, KeyObject>();
  for (const [keyId, key] of entries) {
    loaded.set(checkKeyId(keyId, 'publicKeys'), loadPublicKey(key, keyId));
  }
  return loaded;
}

/** The public key of a private one, as SPKI PEM: what to hand to auditors. */
export function exportPublicKey(key: KeyInput): string {
  return loadPublicKey(isKeyObject(key) || !key.includes('PRIVATE') ? key : loadPrivateKey(key), 'key')
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

function isKeyObject(value: unknown): value is KeyObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeyObject).export === 'function' &&
    typeof (value as KeyObject).type === 'string'
  );
}

function requirePem(value: unknown): string {
  if (typeof value !== 'string' || !value.includes('-----BEGIN ')) throw new TypeError('not PEM text');
  return value;
}

/** OpenSSL errors can quote input; keep only their code, never the key text. */
function stripped(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  return new Error(typeof code === 'string' ? code : 'unreadable key');
}
