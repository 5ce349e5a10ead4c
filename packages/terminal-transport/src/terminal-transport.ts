// createTerminalTransport: asks the person at this terminal, one request at a time, and records the answer.
import type { Writable } from 'node:stream';
import {
  type ApprovalRequest,
  type DeliveryContext,
  type DeliveryReceipt,
  isTerminal,
  type TimerHandle,
  type Transport,
  type TransportHost,
} from '@countersign/core';
import { LineInput } from './line-input.js';
import { checkOptions, type TerminalTransportOptions } from './options.js';
import { formatDuration, renderChange, renderRequest } from './render.js';
import { sanitize } from './sanitize.js';

const PREFIX = '[countersign] [terminal]';

interface Prompt {
  request: ApprovalRequest;
  signal: AbortSignal;
  /** queued → asking → answered, or withdrawn from either of the first two. */
  state: 'queued' | 'asking' | 'answered' | 'withdrawn';
  timer: TimerHandle | null;
  onAbort: () => void;
}

/**
 * Asks the person at this terminal to approve or deny, one request at a time. `deliver` resolves
 * once the question is queued or shown; the answer is recorded later through `host.decide`.
 */
export function createTerminalTransport(options: TerminalTransportOptions): Transport {
  const checked = checkOptions(options);
  const timeoutMs = checked.promptTimeoutMs;
  return new TerminalTransport(
    checked.approver,
    checked.input,
    checked.output,
    checked.isTTY,
    timeoutMs === null ? null : { ms: timeoutMs, label: formatDuration(timeoutMs) },
    checked.name,
  );
}

class TerminalTransport implements Transport {
  private host: TransportHost | null = null;
  private closed = false;
  private prompts = 0;
  /** Requests delivered here: their reference and what was last printed about them. */
  private readonly known = new Map<
    string,
    { ref: Record<string, string>; status: string; decisions: number }
  >();
  private readonly queue: Prompt[] = [];
  private active: Prompt | null = null;
  /** The prompt is the last thing on screen and its line is still open. */
  private lineOpen = false;
  private readonly reader: LineInput;

  constructor(
    private readonly approver: string,
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    private readonly isTTY: boolean,
    private readonly timeout: { ms: number; label: string } | null,
    readonly name: string,
  ) {
    this.reader = new LineInput(input, {
      line: (text) => this.onLine(text),
      interrupt: () => this.deny('Ctrl-C', 'Ctrl-C at the terminal'),
      end: () => this.deny('input closed', 'input closed'),
    });
  }

  start(host: TransportHost): void {
    this.host = host;
  }

  async deliver(request: ApprovalRequest, { signal }: DeliveryContext): Promise<Record<string, string>> {
    if (this.closed) throw new Error(`${PREFIX} closed: cannot deliver ${request.id}`);
    if (this.host === null) throw new Error(`${PREFIX} not started: pass the transport to createCountersign`);
    const known = this.known.get(request.id);
    if (known) return known.ref;
    this.prompts += 1;
    const ref = { prompt: String(this.prompts) };
    this.known.set(request.id, { ref, status: request.status, decisions: request.decisions.length });
    if (signal.aborted) return ref;
    const prompt: Prompt = {
      request,
      signal,
      state: 'queued',
      timer: null,
      onAbort: () => this.withdraw(prompt),
    };
    signal.addEventListener('abort', prompt.onAbort, { once: true });
    this.queue.push(prompt);
    this.next();
    return ref;
  }

  async update(request: ApprovalRequest, _receipt: DeliveryReceipt): Promise<void> {
    if (this.closed) return;
    const previous = this.known.get(request.id);
    const line = renderChange(request, previous);
    if (line !== null) this.print(line);
    if (previous) Object.assign(previous, { status: request.status, decisions: request.decisions.length });
    if (request.status !== 'pending') {
      const prompt =
        this.active?.request.id === request.id
          ? this.active
          : this.queue.find((p) => p.request.id === request.id);
      if (prompt) this.withdraw(prompt);
    }
    if (isTerminal(request.status)) this.known.delete(request.id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const active = this.active;
    if (active?.state === 'asking') this.print('prompt withdrawn: the terminal transport closed');
    for (const prompt of [...this.queue, ...(active ? [active] : [])]) this.release(prompt, 'withdrawn');
    this.queue.length = 0;
    this.active = null;
    this.reader.detach();
  }

  /** Shows the next queued question once the terminal is free; stops reading when none is left. */
  private next(): void {
    const host = this.host;
    while (this.active === null && !this.closed && host !== null) {
      const prompt = this.queue.shift();
      if (!prompt) break;
      this.ask(prompt, host);
    }
    if (this.active === null) this.reader.detach();
  }

  private ask(prompt: Prompt, host: TransportHost): void {
    this.active = prompt;
    prompt.state = 'asking';
    const now = host.clock.now();
    this.write(renderRequest(prompt.request, now));
    if (now >= prompt.request.expiresAt) {
      this.print('past its deadline: nothing to answer');
      this.release(prompt, 'withdrawn');
      this.active = null;
      return;
    }
    if (!this.isTTY) {
      this.print('no TTY: cannot ask a person, so the request is denied');
      this.answer(prompt, 'deny', 'no TTY: cannot ask a person');
      return;
    }
    if (this.reader.closed) {
      this.print('input closed: cannot ask a person, so the request is denied');
      this.answer(prompt, 'deny', 'input closed');
      return;
    }
    this.write('Approve? [y/N] ');
    this.lineOpen = true;
    if (this.timeout) {
      const { ms, label } = this.timeout;
      prompt.timer = host.clock.setTimeout(
        () => this.deny(`no answer within ${label}`, `no answer within ${label}`),
        ms,
      );
    }
    this.reader.attach();
  }

  private onLine(text: string): void {
    const prompt = this.active;
    // Input that arrives while no question is open answers nothing.
    if (prompt?.state !== 'asking') return;
    this.lineOpen = false;
    const typed = text.trim();
    if (/^y(es)?$/i.test(typed)) {
      this.answer(prompt, 'approve', undefined);
      return;
    }
    const quoted = typed.length > 40 ? `${typed.slice(0, 40)}…` : typed;
    const declined = typed === '' || /^no?$/i.test(typed);
    this.answer(
      prompt,
      'deny',
      declined ? 'declined at the terminal' : `declined at the terminal (typed "${quoted}")`,
    );
  }

  /** Denies the open question for a reason other than a typed answer, saying so on screen. */
  private deny(shown: string, comment: string): void {
    const prompt = this.active;
    if (prompt?.state !== 'asking') return;
    this.print(`${shown}: denying ${sanitize(prompt.request.id)}`);
    this.answer(prompt, 'deny', comment);
  }

  private answer(prompt: Prompt, outcome: 'approve' | 'deny', comment: string | undefined): void {
    const host = this.host;
    if (prompt.state !== 'asking' || host === null) return;
    this.release(prompt, 'answered');
    const decision = { approver: this.approver, outcome, comment, via: 'terminal' };
    host
      .decide(prompt.request.id, decision)
      .catch((error: unknown) => {
        if (!this.closed)
          this.print(`${sanitize(prompt.request.id)}: your answer was not recorded: ${oneLine(error)}`);
      })
      .finally(() => {
        if (this.active === prompt) this.active = null;
        this.next();
      });
  }

  /** The request no longer needs an answer: drop it from the queue or take the question down. */
  private withdraw(prompt: Prompt): void {
    if (prompt.state === 'queued') {
      this.release(prompt, 'withdrawn');
      const index = this.queue.indexOf(prompt);
      if (index >= 0) this.queue.splice(index, 1);
    } else if (prompt.state === 'asking') {
      this.release(prompt, 'withdrawn');
      this.print(`${sanitize(prompt.request.id)}: prompt withdrawn, an answer is no longer needed`);
      this.active = null;
      this.next();
    }
  }

  private release(prompt: Prompt, state: 'answered' | 'withdrawn'): void {
    prompt.state = state;
    prompt.signal.removeEventListener('abort', prompt.onAbort);
    if (prompt.timer !== null) this.host?.clock.clearTimeout(prompt.timer);
    prompt.timer = null;
  }

  /** Prints a whole line, first ending the prompt's line if the person has not pressed Enter. */
  private print(line: string): void {
    this.write(`${this.lineOpen ? '\n' : ''}${line}\n`);
    this.lineOpen = false;
  }

  private write(text: string): void {
    const stream = this.output as Partial<Writable>;
    if (stream.writableEnded === true || stream.destroyed === true) return;
    try {
      this.output.write(text);
    } catch {
      // A closed terminal must not crash the process that was asking.
    }
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return sanitize(message.split('\n')[0] ?? '');
}
