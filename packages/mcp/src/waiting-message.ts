// The progress message a client shows while a call waits for approval.

/** Says what is happening and until when; never a request id or anything the model could misuse. */
export function waitingMessage(expiresAt: number): string {
  return `Waiting for a person to approve this call (until ${new Date(expiresAt).toISOString()}).`;
}
