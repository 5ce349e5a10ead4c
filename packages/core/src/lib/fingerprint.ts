// The action fingerprint: SHA-256 over the canonical JSON of name, resource and params.
import { canonicalJson, type JsonObject } from './canonical-json.js';
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
}

export function hashAction(action: ActionIdentity): ActionHashes {
  const params = canonicalJson(action.params);
  return { fingerprint: fingerprintOf(action, params), paramsHash: sha256Hex(params) };
}

export function fingerprintAction(action: ActionIdentity): string {
  return fingerprintOf(action, canonicalJson(action.params));
}

function fingerprintOf(action: ActionIdentity, canonicalParams: string): string {
  // Keys written in RFC 8785 order (name < params < resource) so params are serialised once.
  const resource = action.resource === null ? 'null' : JSON.stringify(action.resource);
  return sha256Hex(
    `{"name":${JSON.stringify(action.name)},"params":${canonicalParams},"resource":${resource}}`,
  );
}
