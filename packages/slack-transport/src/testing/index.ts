// The public testing API: the Slack emulator, request signing and their types.
export type { ModalDefinition, SlackBlock } from './blocks.js';
export type { ClickOptions } from './clicks.js';
export type { SeedMessageOptions, SlackEmulator, SlackEmulatorOptions } from './emulator.js';
export { createSlackEmulator } from './emulator.js';
export { isSlackEmulatorError, SlackEmulatorError } from './errors.js';
export type { RateLimitOptions, SlackFault } from './faults.js';
export type {
  BlockActionsPayload,
  ButtonActionPayload,
  ForgeryOptions,
  PayloadTeam,
  PayloadUser,
  ViewStateInput,
  ViewSubmissionPayload,
} from './interactions.js';
export { ACK_DEADLINE_MS } from './interactions.js';
export type {
  ApiCallRecord,
  EphemeralRecord,
  InteractionResult,
  MessageChangeSource,
  MessageRecord,
  MessageRevision,
  ResponseUrlRecord,
  SlackMessage,
  ViewRecord,
} from './recording.js';
export { RESPONSE_URL_MAX_USES, RESPONSE_URL_TTL_MS } from './response-url.js';
export type { SignedSlackRequest, SignSlackRequestOptions } from './signing.js';
export { signSlackRequest } from './signing.js';
export type { SubmitViewOptions } from './view-submissions.js';
export { TRIGGER_TTL_MS } from './web-api.js';
export type { EmulatedBot, EmulatedChannel, EmulatedTeam, EmulatedUser } from './workspace.js';
export {
  DEFAULT_BOT,
  DEFAULT_BOT_TOKEN,
  DEFAULT_CHANNELS,
  DEFAULT_SIGNING_SECRET,
  DEFAULT_TEAM,
  DEFAULT_USERS,
  DEFAULT_VERIFICATION_TOKEN,
} from './workspace.js';
