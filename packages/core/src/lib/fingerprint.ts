// The action fingerprint: SHA-256 over the canonical JSON of name, resource and params.
import { canonicalJson, type JsonObject, quote } from './canonical-json.js';
import { sha256Hex } from './ids.js';

/** What a fingerprint binds: the action's name, the resource it touches and its exact params. */
export interface ActionIdentity {
  name: string;
  resource: string | null;
  params: JsonObject;
}

export interface ActionHashes {
  /** SHA-256 of the RFC 8785 canonical JSON of `{ name, resource, params }`, hex. */
  fingerprint: string;
  /** SHA-256 of the canonical JSON of `params` alone, so auditors can match redacted params. */
  paramsHash: string;
  /** The canonical JSON the fingerprint is the hash of: equal text, equal call, no hash needed. */
  identity: string;
}

export function hashAction(action: ActionIdentity): ActionHashes {
  return hashIdentity(action.name, action.resource, canonicalJson(action.params));
}

/** {@link hashAction} for params already written as canonical JSON. */
export function hashIdentity(name: string, resource: string | null, paramsJson: string): ActionHashes {
  const identity = identityJson(name, resource, paramsJson);
  return { fingerprint: sha256Hex(identity), paramsHash: sha256Hex(paramsJson), identity };
}

export function fingerprintAction(action: ActionIdentity): string {
  return sha256Hex(identityJson(action.name, action.resource, canonicalJson(action.params)));
}

/** Keys written in RFC 8785 order (name < params < resource), so params are serialised once. */
export function identityJson(name: string, resource: string | null, paramsJson: string): string {
  return `{"name":${quote(name)},"params":${paramsJson},"resource":${resource === null ? 'null' : quote(resource)}}`;
}
