// Why exec did not run the command, as an exit code and one line: one code per kind of refusal.
import { isCountersignError } from '@countersign/core';
import { type AgentApiError, type AgentClientError, isAgentClientError } from '@countersign/http';
import { CliError, ExitCode } from '../exit-codes.js';

/** Denial codes (the agent API's `code`, core's error codes) and what exec exits with for each. */
const BY_CODE: Readonly<Record<string, ExitCode>> = {
  policy_denied: ExitCode.ExecDenied,
  no_eligible_approvers: ExitCode.ExecDenied,
  approval_denied: ExitCode.ExecDenied,
  delivery_failed: ExitCode.ExecDenied,
  already_started: ExitCode.ExecDenied,
  already_claimed: ExitCode.ExecDenied,
  claimed_elsewhere: ExitCode.ExecDenied,
  approval_expired: ExitCode.ExecExpired,
  call_expired: ExitCode.ExecExpired,
  approval_cancelled: ExitCode.ExecCancelled,
  approval_pending: ExitCode.ExecPending,
  too_many_pending: ExitCode.ExecPending,
  too_many_calls: ExitCode.ExecPending,
  invalid_input: ExitCode.ExecUsage,
  idempotency_conflict: ExitCode.ExecUsage,
  invalid_config: ExitCode.ExecConfig,
  store_failed: ExitCode.ExecUnavailable,
  credential_failed: ExitCode.ExecUnavailable,
  closed: ExitCode.ExecUnavailable,
};

/** The exit code for a denied call's `code`. */
export function deniedExit(code: string | null): ExitCode {
  return (code === null ? undefined : BY_CODE[code]) ?? ExitCode.ExecDenied;
}

/** A failure of the agent client or of core, as the CliError exec exits with. */
export function execFailure(error: unknown): CliError {
  if (error instanceof CliError) return error;
  const message = strip(error instanceof Error ? error.message : String(error));
  if (isAgentClientError(error)) return new CliError(clientExit(error), message);
  if (isCountersignError(error)) return new CliError(BY_CODE[error.code] ?? ExitCode.ExecInternal, message);
  return new CliError(ExitCode.ExecInternal, `unexpected error: ${message}`);
}

function clientExit(error: AgentClientError): ExitCode {
  switch (error.kind) {
    case 'token':
      return ExitCode.ExecUnauthenticated;
    case 'network':
      return ExitCode.ExecUnavailable;
    case 'response':
      return ExitCode.ExecProtocol;
    case 'api': {
      // Only AgentApiError has kind 'api'; by kind, not instanceof, across two copies of the package.
      const { status, code } = error as AgentApiError;
      if (status === 401 || status === 403) return ExitCode.ExecUnauthenticated;
      if (status === 400 || status === 413) return ExitCode.ExecUsage;
      if (status === 409) return deniedExit(code);
      if (status === 429) return ExitCode.ExecPending;
      if (status >= 500) return ExitCode.ExecUnavailable;
      return ExitCode.ExecProtocol;
    }
  }
}

/** Messages lose their package prefixes: the command prefixes its own. */
function strip(message: string): string {
  return message.replace(/^(\[(countersign|agent-client|http)\] )+/, '');
}
