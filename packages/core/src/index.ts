// @countersign/core's public surface: explicit named exports, nothing else.
export {
  type ApprovalRequest,
  approvalRequestSchema,
  approvalsOf,
  canTransition,
  type Decision,
  type DeliveryReceipt,
  EXPIRED_REASON,
  isTerminal,
  REQUEST_STATUSES,
  type RedactedAction,
  type RequestStatus,
  TRANSITIONS,
} from './approval.js';
export type { Directory } from './approvers.js';
export {
  AUDIT_TYPES,
  type AuditDraft,
  type AuditEntry,
  type AuditHead,
  type AuditType,
  GENESIS_HASH,
  requestDraft,
  sealAuditEntries,
} from './audit.js';
export { VerifyFailure, type VerifyOptions, type VerifyResult, verifyAuditLog } from './audit-verify.js';
export { MAX_BATCH } from './batch-decisions.js';
export type { GuardAction, GuardContext, Narrowed } from './call.js';
export { canonicalJson, type JsonObject, type JsonValue } from './canonical-json.js';
export { type Clock, systemClock, type TimerHandle } from './clock.js';
export type { ConditionCall } from './conditions.js';
export { createCountersign } from './countersign.js';
export type { Countersign } from './countersign-api.js';
export type { CredentialBroker, CredentialRequest } from './credential-broker.js';
export type { WaitForDecisionOptions } from './decision-wait.js';
export { type Duration, MAX_DURATION_MS, parseDuration } from './duration.js';
export * from './errors.js';
export type {
  CountersignEvent,
  CountersignEventMap,
  CountersignEventName,
  TransportErrorEvent,
} from './events.js';
export type { ExplainSubject } from './explain.js';
export { type FetchHandler, readCappedBody, toNodeHandler } from './fetch-handler.js';
export { type ActionIdentity, fingerprintAction } from './fingerprint.js';
export {
  type CutReport,
  type CutWording,
  describeCut,
  type FittedParams,
  type FittedText,
  fitParams,
  fitText,
  indentedJson,
  type Measure,
  type ParamsCut,
  type PartCut,
  utf16Length,
} from './fit-to-budget.js';
export type { Credentials, Grant, GrantCheck, GrantRecord } from './grants.js';
export { closestKey, MAX_PARAMS_DEPTH, MAX_PARAMS_VALUES, readMembers, unknownKeyIssue } from './input.js';
export {
  claimDeadline,
  type Lapse,
  lapse,
  lapseGrant,
  lapsesAt,
  STRANDED_REASON,
  UNENDED_GRANT_REASON,
  UNUSED_APPROVAL_REASON,
} from './lapse.js';
export { repeatedMember } from './line-problem.js';
export type { OnCallResolver } from './on-call.js';
export type { CheckResult, OpenAction, OpenContext, OpenResult } from './open.js';
export type { CountersignOptions } from './options.js';
export { describeOutcome, type OutcomeDescription } from './outcome.js';
export {
  createPagerDutyOnCall,
  type PagerDutyOnCallOptions,
  type PagerDutyUser,
} from './pagerduty-on-call.js';
export { isNarrowing } from './param-edits.js';
export type { PolicyDecision } from './policy.js';
export {
  type ApprovalTerms,
  decisionProblem,
  type PresentOptions,
  paramsText,
  presentRequest,
  type RequestPresentation,
  STATUS_HEADLINES,
  UNVERIFIED_REASON_LABEL,
} from './presentation.js';
export { createRedactor, REDACTED, type Redactor, scrubText } from './redact.js';
export { inboxRequestUrl } from './request-page.js';
export type { Risk } from './risk.js';
export { RISK_LEVELS } from './risk.js';
export type {
  ApproverSpec,
  Effect,
  EscalationTarget,
  Patterns,
  PolicyRule,
  RequireComment,
  RuleCredentials,
  RuleMatch,
} from './rule.js';
export { DEFAULT_MAX_USES, MAX_CONDITION_LENGTH, type ReuseSpec, type RiskTier } from './rule.js';
export type {
  ConsumeGrantMatch,
  CreateRequestResult,
  ListGrantsQuery,
  ListRequestsQuery,
  ReuseWindow,
  ReuseWindowQuery,
  Store,
} from './store.js';
export { actionNameFor, type ToolNameOf, toolCallKey, toolNameFor } from './tool-names.js';
export type {
  BatchDecisionInput,
  BatchDecisionResult,
  DecisionInput,
  DecisionResult,
  DeliveryContext,
  FollowUpNotice,
  Transport,
  TransportHost,
} from './transport.js';
export {
  characterMarker,
  isHiddenCharacter,
  type ShowHiddenOptions,
  showHidden,
  visibleLength,
} from './visible-text.js';
export type { WrapSpec } from './wrap.js';
