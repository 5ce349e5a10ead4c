// What both ways of running exec (through a server, or in process) are given.
import type { ExecCall } from './exec-call.js';
import type { Progress } from './exec-progress.js';
import type { ExecSignals } from './exec-signals.js';

export interface ExecRun {
  call: ExecCall;
  /** The caller's environment: what the command's is made from, and where tokens are read. */
  env: Readonly<Record<string, string | undefined>>;
  progress: Progress;
  signals: ExecSignals;
  /** stderr is a terminal: a live status line, and shorter polls to keep it current. */
  terminal: boolean;
  /** When to stop waiting for a decision (--wait), ms since the epoch; null: the request's own deadline. */
  waitUntil: number | null;
  /** What an interrupt while waiting does: cancel the request (or, remotely, stop waiting), or detach. */
  onAbort: 'cancel' | 'detach';
}
