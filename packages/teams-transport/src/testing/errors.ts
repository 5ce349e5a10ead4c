// The emulator's own error, for test-side requests that could not happen in Teams.
export class TeamsEmulatorError extends Error {
  constructor(message: string) {
    super(`[countersign] [teams emulator] ${message}`);
    this.name = 'TeamsEmulatorError';
  }
}
