// Reading answers line by line, only while a question is open (Ctrl-C and end of input included).
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface LineHandlers {
  line(text: string): void;
  /** Ctrl-C: a `\u0003` byte from a raw-mode terminal, or SIGINT while reading process.stdin. */
  interrupt(): void;
  /** The input ended or closed (Ctrl-D, a closed pipe), or Ctrl-D arrived from a raw-mode terminal. */
  end(): void;
}

/** Longest line kept; an answer is a word, so anything longer is cut rather than buffered forever. */
const MAX_LINE = 1_024;

/**
 * Reads lines from a stream only while attached, so an idle transport neither keeps the process
 * alive nor consumes input meant for someone else. Text that arrived while detached is discarded
 * on attach: an answer typed before a question was shown must not answer it.
 */
export class LineInput {
  private attached = false;
  private ended = false;
  private pausedOnDetach = false;
  private buffer = '';
  private afterCarriageReturn = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly handlers: LineHandlers,
  ) {}

  /** True once the input has ended; no line will ever arrive. */
  get closed(): boolean {
    const stream = this.input as Partial<Readable>;
    return this.ended || stream.readableEnded === true || stream.destroyed === true;
  }

  attach(): void {
    if (this.attached) return;
    this.attached = true;
    const stream = this.input as Partial<Readable>;
    this.pausedOnDetach = stream.readableFlowing !== true;
    this.input.on('end', this.onEnd);
    this.input.on('close', this.onEnd);
    this.input.on('error', this.onEnd);
    if (this.input === process.stdin) process.on('SIGINT', this.onSigint);
    this.discardBuffered();
    this.buffer = '';
    this.input.on('data', this.onData);
    this.input.resume();
  }

  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('close', this.onEnd);
    this.input.off('error', this.onEnd);
    process.off('SIGINT', this.onSigint);
    if (this.pausedOnDetach) this.input.pause();
  }

  private discardBuffered(): void {
    const stream = this.input as Partial<Readable>;
    if (typeof stream.read !== 'function' || stream.readableFlowing === true) return;
    while (stream.read() !== null) {}
  }

  private readonly onData = (chunk: string | Buffer) => {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    for (const char of text) {
      if (!this.attached) return;
      // A raw-mode terminal ends lines with \r, a pipe with \n, Windows with both: one line each.
      const afterCarriageReturn = this.afterCarriageReturn;
      this.afterCarriageReturn = char === '\r';
      if (char === '\n' && afterCarriageReturn) continue;
      if (char === '\u0003') {
        this.buffer = '';
        this.handlers.interrupt();
      } else if (char === '\u0004') {
        this.buffer = '';
        this.onEnd();
      } else if (char === '\n' || char === '\r') {
        const line = this.buffer;
        this.buffer = '';
        this.handlers.line(line);
      } else if (this.buffer.length < MAX_LINE) {
        this.buffer += char;
      }
    }
  };

  private readonly onEnd = () => {
    if (this.ended) return;
    this.ended = true;
    this.handlers.end();
  };

  private readonly onSigint = () => this.handlers.interrupt();
}
