// Hands a call id from the PreToolUse hook to the PostToolUse hook: one small file per tool call.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * Where the files live unless the config says: per user, so two users' hooks never share one. A
 * file holds only a call id and the server's URL (no token, no grant): reading it lets nobody act.
 */
export function defaultStateDir(): string {
  return join(tmpdir(), `countersign-claude-code-${userInfo().uid}`);
}

export interface CallState {
  callId: string;
  server: string;
}

function fileFor(dir: string, sessionId: string, toolUseId: string): string {
  const name = createHash('sha256').update(`${sessionId}\0${toolUseId}`).digest('hex');
  return join(dir, `${name}.json`);
}

/** Saves before the claim, so a tool call whose state cannot be kept is denied before a grant exists. */
export async function saveCallState(
  dir: string,
  sessionId: string,
  toolUseId: string,
  state: CallState,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(fileFor(dir, sessionId, toolUseId), JSON.stringify(state), { mode: 0o600 });
}

/** The state the PreToolUse hook saved for this tool call, or null when it saved none. */
export async function loadCallState(
  dir: string,
  sessionId: string,
  toolUseId: string,
): Promise<CallState | null> {
  let text: string;
  try {
    text = await readFile(fileFor(dir, sessionId, toolUseId), 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw error;
  }
  const state = JSON.parse(text) as Partial<CallState>;
  if (typeof state.callId !== 'string' || typeof state.server !== 'string') {
    throw new Error('the saved call state is not what the PreToolUse hook writes');
  }
  return { callId: state.callId, server: state.server };
}

export async function removeCallState(dir: string, sessionId: string, toolUseId: string): Promise<void> {
  await rm(fileFor(dir, sessionId, toolUseId), { force: true });
}
