// @countersign/teams-transport/testing: a local Teams (Bot Connector) emulator.
export type { PostedActivity } from './activities.js';
export type { ClickForgery, ClickOptions, ClickResult } from './clicks.js';
export {
  createTeamsEmulator,
  type TeamsEmulator,
  type TeamsEmulatorOptions,
  teamsEmulatorOptions,
} from './emulator.js';
export { TeamsEmulatorError } from './errors.js';
export type { EmulatorFault, EmulatorRoute, RateLimitOptions } from './faults.js';
export type { InvokeAnswer } from './invoke-answer.js';
export type { KeyChoice } from './keys.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from './message-size.js';
export type { EmulatorCall } from './routes.js';
export {
  DEFAULT_APP_ID,
  DEFAULT_APP_PASSWORD,
  DEFAULT_CONVERSATION_ID,
  DEFAULT_TENANT_ID,
  DEFAULT_USERS,
  type EmulatedTeamsUser,
} from './tenant.js';
