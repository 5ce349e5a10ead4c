// @countersign/teams-transport/testing: a local Teams (Bot Connector) emulator.
export {
  type ClickForgery,
  type ClickOptions,
  type ClickResult,
  createTeamsEmulator,
  DEFAULT_APP_ID,
  DEFAULT_APP_PASSWORD,
  DEFAULT_CONVERSATION_ID,
  DEFAULT_TENANT_ID,
  DEFAULT_USERS,
  type EmulatedTeamsUser,
  type EmulatorCall,
  type PostedActivity,
  type TeamsEmulator,
  TeamsEmulatorError,
  type TeamsEmulatorOptions,
  teamsEmulatorOptions,
} from './emulator.js';
export type { EmulatorFault, EmulatorRoute, RateLimitOptions } from './faults.js';
export type { InvokeAnswer } from './invoke-answer.js';
export type { KeyChoice } from './keys.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from './message-size.js';
