// @countersign/core's public surface: explicit named exports, nothing else.

export { type FetchHandler, readCappedBody, toNodeHandler } from './adapters/fetch-handler.js';
export {
  createPagerDutyOnCall,
  type PagerDutyOnCallOptions,
  type PagerDutyUser,
} from './adapters/pagerduty-on-call.js';
export { actionNameFor, type ToolNameOf, toolCallKey, toolNameFor } from './adapters/tool-names.js';
export type { CredentialBroker, CredentialRequest } from './contracts/credential-broker.js';
export type { OnCallResolver } from './contracts/on-call.js';
export type {
  ClaimExpectation,
  ConsumeGrantMatch,
  CreateRequestResult,
  ListGrantsQuery,
  ListRequestsQuery,
  ReuseWindow,
  ReuseWindowQuery,
  Store,
  SyncStoreMethods,
} from './contracts/store.js';
export { SYNC_STORE } from './contracts/store.js';
export type {
  BatchDecisionInput,
  BatchDecisionResult,
  DecisionInput,
  DecisionResult,
  DeliveryContext,
  FollowUpNotice,
  Transport,
  TransportHost,
} from './contracts/transport.js';
export { MAX_BATCH } from './decisions/batch-decisions.js';
export { isNarrowing } from './features/edits/param-edits.js';
export type { WaitForDecisionOptions } from './guard/decision-wait.js';
export type { CheckResult, OpenAction, OpenContext, OpenResult } from './guard/open.js';
export { createCountersign } from './instance/countersign.js';
export type { Countersign } from './instance/countersign-api.js';
export type { ExplainSubject } from './instance/explain.js';
export type { CountersignOptions } from './instance/options.js';
export type { WrapSpec } from './instance/wrap.js';
export { canonicalJson, type JsonObject, type JsonValue } from './lib/canonical-json.js';
export { type Clock, systemClock, type TimerHandle } from './lib/clock.js';
export { type Duration, MAX_DURATION_MS, parseDuration } from './lib/duration.js';
export {
  AlreadyDecidedError,
  AlreadyStartedError,
  AlreadyVotedError,
  ApprovalCancelledError,
  ApprovalDeniedError,
  ApprovalExpiredError,
  ApprovalPendingError,
  BatchRefusedError,
  ClosedError,
  ConfigError,
  CorruptRecordError,
  CountersignError,
  type CountersignErrorOptions,
  CredentialError,
  DeliveryError,
  ErrorCode,
  GrantRefusal,
  GrantRefusedError,
  IdempotencyConflictError,
  isCountersignError,
  NoEligibleApproversError,
  NotEligibleError,
  OutcomeNotRecordedError,
  PolicyDeniedError,
  RequestNotFoundError,
  SelfApprovalError,
  StoreError,
  TooManyPendingError,
  ValidationError,
} from './lib/errors.js';
export { type ActionIdentity, fingerprintAction } from './lib/fingerprint.js';
export {
  closestKey,
  MAX_PARAMS_DEPTH,
  MAX_PARAMS_VALUES,
  readMembers,
  unknownKeyIssue,
} from './lib/input.js';
export { repeatedMember } from './lib/line-problem.js';
export { createRedactor, REDACTED, type Redactor, scrubText } from './lib/redact.js';
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
} from './model/approval.js';
export {
  AUDIT_TYPES,
  type AuditDraft,
  type AuditEntry,
  type AuditHead,
  type AuditType,
  GENESIS_HASH,
  type GrantEntryRef,
  requestDraft,
} from './model/audit.js';
export { AuditActions } from './model/audit-reads.js';
export { IssuedGrantEntries, sealAuditEntries } from './model/audit-seal.js';
export {
  VerifyFailure,
  type VerifyOptions,
  type VerifyResult,
  verifyAuditLog,
} from './model/audit-verify.js';
export type { GuardAction, GuardContext, Narrowed } from './model/call.js';
export type {
  CountersignEvent,
  CountersignEventMap,
  CountersignEventName,
  TransportErrorEvent,
} from './model/events.js';
export type { Credentials, Grant, GrantCheck, GrantRecord } from './model/grants.js';
export {
  claimDeadline,
  type Lapse,
  lapse,
  lapseGrant,
  lapsesAt,
  STRANDED_REASON,
  UNENDED_GRANT_REASON,
  UNUSED_APPROVAL_REASON,
} from './model/lapse.js';
export type { Risk } from './model/risk.js';
export { RISK_LEVELS } from './model/risk.js';
export type {
  ApproverSpec,
  Effect,
  EscalationTarget,
  Patterns,
  PolicyRule,
  RequireComment,
  RuleCredentials,
  RuleMatch,
} from './model/rule.js';
export { DEFAULT_MAX_USES, MAX_CONDITION_LENGTH, type ReuseSpec, type RiskTier } from './model/rule.js';
export type { Directory } from './policy/approvers.js';
export type { ConditionCall } from './policy/conditions.js';
export type { PolicyDecision } from './policy/policy.js';
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
} from './present/fit-to-budget.js';
export { describeOutcome, type OutcomeDescription } from './present/outcome.js';
export {
  type ApprovalTerms,
  decisionProblem,
  type PresentOptions,
  paramsText,
  presentRequest,
  type RequestPresentation,
  STATUS_HEADLINES,
  UNVERIFIED_REASON_LABEL,
} from './present/presentation.js';
export { inboxRequestUrl } from './present/request-page.js';
export {
  characterMarker,
  isHiddenCharacter,
  type ShowHiddenOptions,
  showHidden,
  visibleLength,
} from './present/visible-text.js';
