// Identifiers, grant tokens and SHA-256 hex digests.
import { hash } from 'node:crypto';
import { customAlphabet, nanoid } from 'nanoid';

const idSuffix = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 20);

export function newRequestId(): string {
  return `req_${idSuffix()}`;
}

export function newGrantId(): string {
  return `grt_${idSuffix()}`;
}

/** 256 bits of randomness; only its hash is ever stored. */
export function newGrantToken(): string {
  return `cst_${nanoid(43)}`;
}

/** One-shot `crypto.hash` is several times cheaper than `createHash` for short inputs. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
