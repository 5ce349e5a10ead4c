// The bench's policy (fixtures.ts) as the floors' rules: same ids, patterns, effects, approvers and quorum.
import { DIRECTORY, POLICY } from '../fixtures.js';
import type { FloorRule } from './floor-parts.js';

export function floorRules(): FloorRule[] {
  return POLICY.map((rule) => ({
    id: rule.id,
    action: String(rule.match.action),
    effect: rule.effect,
    approvers: Object.entries(DIRECTORY)
      .filter(([, entry]) => entry.groups.some((group) => rule.approvers?.groups?.includes(group)))
      .map(([id]) => id),
    quorum: rule.quorum ?? 1,
  }));
}
