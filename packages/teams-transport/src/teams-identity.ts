// Teams ids (tenant id, Entra object id) as parts of countersign identities: canonical, and always valid.
import { createHash } from 'node:crypto';
import type { TeamsUser } from './options.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Characters kept as they are; every other one is percent-encoded. */
const PLAIN = /[A-Za-z0-9._~-]/;
/**
 * Longest encoded id kept readable. Longer ones become a digest, so `teams:TENANT:ID` always stays
 * within core's 256 characters (6 + 100 + 1 + 100).
 */
const MAX_PART = 100;

/** A GUID in lower case (GUIDs ignore case; Entra shows them lower-cased); any other id unchanged. */
export function canonicalTeamsId(id: string): string {
  return GUID.test(id) ? id.toLowerCase() : id;
}

/** Whether two Teams ids name the same thing: GUIDs compared without case, anything else exactly. */
export function sameTeamsId(a: string, b: string): boolean {
  return canonicalTeamsId(a) === canonicalTeamsId(b);
}

/**
 * An id as one part of an identity, which core requires to be printable ASCII without spaces: a
 * GUID lower-cased; anything else percent-encoded (UTF-8, `%uXXXX` for a lone surrogate, so two
 * ids never encode alike, and `:` cannot fake another part), or past {@link MAX_PART} characters
 * `%sha256-` and the digest of its UTF-16 code units (`%s` is never produced by the encoding).
 */
export function identityPart(id: string): string {
  if (GUID.test(id)) return id.toLowerCase();
  let encoded = '';
  for (const char of id) {
    if (PLAIN.test(char)) encoded += char;
    else if (/^\p{Cs}$/u.test(char))
      encoded += `%u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    else
      for (const byte of Buffer.from(char, 'utf8'))
        encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (encoded.length > MAX_PART) break;
  }
  if (encoded.length <= MAX_PART) return encoded;
  return `%sha256-${createHash('sha256').update(Buffer.from(id, 'utf16le')).digest('hex')}`;
}

/** `teams:TENANT:ID` with both parts made valid by {@link identityPart}. */
export function teamsIdentity(tenantId: string, id: string): string {
  return `teams:${identityPart(tenantId)}:${identityPart(id)}`;
}

/** `teams:TENANT:AADOBJECTID`, the identity used when no `resolveApprover` is given. */
export function defaultResolveApprover(user: TeamsUser): string {
  return teamsIdentity(user.tenantId, user.aadObjectId);
}
