// The emulated tenant: the bot's app registration, the channel conversation and the people in it.
export const DEFAULT_APP_ID = '00000000-0000-4000-8000-00000000b07a';
export const DEFAULT_APP_PASSWORD = 'emulator-client-secret';
export const DEFAULT_TENANT_ID = '11111111-1111-4111-8111-111111111111';
export const DEFAULT_CONVERSATION_ID = '19:approvals0000000000000000000000@thread.tacv2';

/** A person in the emulated tenant (or in another one, with `tenantId`). */
export interface EmulatedTeamsUser {
  /** Microsoft Entra object id. */
  aadObjectId: string;
  name: string;
  /** Defaults to the emulator's tenant. */
  tenantId?: string | undefined;
  /** Teams user id; defaults to `29:` + the object id. */
  teamsUserId?: string | undefined;
}

export const DEFAULT_USERS: readonly EmulatedTeamsUser[] = [
  { aadObjectId: 'aaaaaaaa-0000-4000-8000-00000000a11c', name: 'Alice Asker' },
  { aadObjectId: 'bbbbbbbb-0000-4000-8000-000000000b0b', name: 'Bob Approver' },
  { aadObjectId: 'dddddddd-0000-4000-8000-000000000da7', name: 'Dan Data' },
  { aadObjectId: 'eeeeeeee-0000-4000-8000-0000000e4177', name: 'Erin Owner' },
];
