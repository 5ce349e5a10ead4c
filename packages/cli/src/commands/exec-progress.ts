// What exec says on stderr while it waits: a live status line on a terminal, plain lines otherwise.
import type { Writable } from 'node:stream';
import { write } from '../io.js';

/** A waiting call as exec shows it. */
export interface PendingView {
  callId: string;
  approvalUrl: string | null;
  approvals: { count: number; required: number } | null;
  /** The decision deadline, ms since the epoch. */
  expiresAt: number | null;
  message: string;
}

export interface Progress {
  /** The call is waiting: shown at once, then kept up to date. */
  waiting(view: PendingView): void;
  /** A line of its own (the status line, if any, is cleared first). */
  say(line: string): void;
  /** Clears the status line and stops updating it. */
  stop(): void;
}

/** Text from the server or the command line, made safe for a terminal: no escape sequences. */
export function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, ' ');
}

export function timeLeft(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function createProgress(stderr: Writable, terminal: boolean, now: () => number = Date.now): Progress {
  let view: PendingView | null = null;
  let shown: string | null = null;
  let ticker: NodeJS.Timeout | null = null;
  const out = (text: string) => {
    write(stderr, text).catch(() => {});
  };
  const statusLine = (v: PendingView) => {
    const approvals = v.approvals === null ? '' : ` (${v.approvals.count} of ${v.approvals.required})`;
    const left = v.expiresAt === null ? '' : `, ${timeLeft(v.expiresAt - now())} left`;
    const where = v.approvalUrl === null ? ` request ${v.callId}` : ` ${v.approvalUrl}`;
    const line = printable(`countersign: waiting for approval${approvals}${left}:${where}`);
    const columns = (stderr as { columns?: number }).columns ?? 0;
    return columns > 1 && line.length >= columns ? `${line.slice(0, columns - 2)}…` : line;
  };
  const render = () => {
    if (view !== null) out(`\r\x1b[2K${statusLine(view)}`);
  };
  const clear = () => {
    if (terminal && view !== null) out('\r\x1b[2K');
  };
  return {
    waiting(next) {
      const first = view === null;
      view = next;
      if (first) {
        const expires = next.expiresAt === null ? '' : `, expires ${new Date(next.expiresAt).toISOString()}`;
        out(`${printable(`countersign: ${next.message} (request ${next.callId}${expires})`)}\n`);
        if (next.approvalUrl !== null)
          out(`${printable(`countersign: approve or deny at ${next.approvalUrl}`)}\n`);
      }
      if (terminal) {
        render();
        ticker ??= setInterval(render, 1000);
        ticker.unref();
        return;
      }
      const approvals =
        next.approvals === null ? null : `${next.approvals.count} of ${next.approvals.required} approvals`;
      if (approvals !== null && approvals !== shown && !first) out(`countersign: ${approvals}\n`);
      shown = approvals;
    },
    say(line) {
      clear();
      out(`${printable(line)}\n`);
      if (terminal) render();
    },
    stop() {
      if (ticker !== null) clearInterval(ticker);
      ticker = null;
      clear();
      view = null;
    },
  };
}
