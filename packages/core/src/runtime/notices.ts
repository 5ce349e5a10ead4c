// Operator notices (today: no transports): an event and a line to the `logger` option, once per instance.
import type { NoticeEvent } from '../model/events.js';
import type { Runtime } from './runtime.js';

/** The `logger` option as core uses it: where an instance's notices go (a no-op for `logger: null`). */
export type NoticeSink = (notice: NoticeEvent) => void;

const warnedInProcess = new Set<NoticeEvent['code']>();

/**
 * The default sink: a process warning (`COUNTERSIGN_NO_TRANSPORTS`), once per process however many
 * instances say it, since an app that makes an instance per tenant has one set-up to check.
 */
export const processWarning: NoticeSink = (notice) => {
  if (warnedInProcess.has(notice.code)) return;
  warnedInProcess.add(notice.code);
  process.emitWarning(notice.message, { code: `COUNTERSIGN_${notice.code.toUpperCase()}` });
};

/** What each instance has already said; a WeakMap so a closed instance keeps nothing alive. */
const told = new WeakMap<Runtime, Set<NoticeEvent['code']>>();

function tell(runtime: Runtime, notice: NoticeEvent): void {
  const codes = told.get(runtime) ?? new Set();
  told.set(runtime, codes);
  if (codes.has(notice.code)) return;
  codes.add(notice.code);
  // Advisory: a listener or logger that throws must not fail the call that prompted the notice.
  try {
    runtime.events.emit('notice', notice);
  } catch {}
  try {
    runtime.options.notify(notice);
  } catch {}
}

const NO_TRANSPORTS: NoticeEvent = Object.freeze({
  code: 'no_transports',
  message:
    'countersign: an approval request was opened but no transports are configured, so it reaches people only through the shared store (an approval server, inbox or decide()).',
});

/**
 * Said when the instance opens its first request with no transport to deliver it, not when it is
 * made: no transport is a legitimate set-up (an approval server or an in-process decide()), and an
 * instance that only decides, audits or runs allowed calls has nobody to tell.
 */
export function noticeNoTransports(runtime: Runtime): void {
  tell(runtime, NO_TRANSPORTS);
}
