// SIGINT, SIGTERM and SIGHUP during exec: while waiting they stop the wait; while the command runs
// they are passed on to it, and exec waits for it to end.
import { isatty } from 'node:tty';

export const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type ForwardedSignal = (typeof FORWARDED)[number];

export interface ExecSignals {
  /** Aborted by the first signal while waiting, with the signal's name as reason. */
  readonly waiting: AbortSignal;
  /** From now on signals go to `forward` instead. */
  running(forward: (signal: ForwardedSignal) => void): void;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * On a terminal, Ctrl-C reaches the whole foreground process group, the command included, so exec
 * does not send it a second SIGINT (sudo does the same); SIGTERM and SIGHUP are always passed on.
 */
export function onTerminal(): boolean {
  return isatty(0) || isatty(1) || isatty(2);
}

export function listenForSignals(
  processLike: Pick<NodeJS.Process, 'on' | 'off'> = process,
  terminal: boolean = onTerminal(),
): ExecSignals {
  const controller = new AbortController();
  let forward: ((signal: ForwardedSignal) => void) | null = null;
  const handler = (signal: ForwardedSignal) => {
    if (forward === null) {
      if (!controller.signal.aborted) controller.abort(signal);
      return;
    }
    if (signal === 'SIGINT' && terminal) return;
    forward(signal);
  };
  for (const signal of FORWARDED) processLike.on(signal, handler);
  return {
    waiting: controller.signal,
    running(next) {
      forward = next;
    },
    dispose() {
      for (const signal of FORWARDED) processLike.off(signal, handler);
    },
  };
}
