// Identifiers, grant tokens and SHA-256 hex digests.
import { hash, randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn in 4 KB batches, each byte handed out once (as nanoid's pool does): one
 * `randomFillSync` per hundred-odd ids instead of one per id.
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/** The offset of `n` fresh random bytes in `pool`, never handed out before. */
function fresh(n: number): number {
  if (used + n > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += n;
  return at;
}

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** Bytes at or above this are skipped, so each of the 36 characters is equally likely. */
const ID_BYTE_LIMIT = 256 - (256 % ID_ALPHABET.length);
const ID_LENGTH = 20;
/** Where an id is written, prefix first: decoded as latin1 it is one flat string, not 20 concatenations. */
const idBuffer = Buffer.alloc(4 + ID_LENGTH);

/** `prefix` (4 ASCII characters) and 20 characters of [0-9a-z], each uniform: about 103 bits. */
function newId(prefix: string): string {
  idBuffer.write(prefix, 0, 'latin1');
  let written = 4;
  while (written < idBuffer.length) {
    const at = fresh(ID_LENGTH);
    for (let i = at; i < at + ID_LENGTH && written < idBuffer.length; i++) {
      const byte = pool[i]!;
      if (byte < ID_BYTE_LIMIT) idBuffer[written++] = ID_ALPHABET.charCodeAt(byte % ID_ALPHABET.length);
    }
  }
  return idBuffer.toString('latin1');
}

export function newRequestId(): string {
  return newId('req_');
}

export function newGrantId(): string {
  return newId('grt_');
}

/** 256 bits of randomness, 43 base64url characters; only its hash is ever stored. */
export function newGrantToken(): string {
  const at = fresh(32);
  return `cst_${pool.toString('base64url', at, at + 32)}`;
}

/** One-shot `crypto.hash` is several times cheaper than `createHash` for short inputs. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
