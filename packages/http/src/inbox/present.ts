// A request as the inbox shows it: whole, with the terms of the rule it was opened under.
import type { ApprovalRequest, Countersign, RequestPresentation } from '@countersign/core';
import { presentWhole } from './pages.js';

export function presentUnderRule(cs: Countersign, request: ApprovalRequest): RequestPresentation {
  return presentWhole(request, cs.rule(request.ruleId));
}
