/**
 * Everything the CLI prints on stdout goes through one `Output`: text is gathered into chunks of
 * about 64 KB, and a chunk is handed to the stream only when the stream has taken the previous
 * one (it waits for 'drain' when `write` returns false). So output of any length streams at the
 * reader's pace with flat memory: at most one chunk here plus one in the stream's buffer.
 */

/** The part of a writable stream `Output` uses (`process.stdout`, or a fake in tests). */
export interface OutputSink {
  write(chunk: string): boolean;
  once(event: 'drain' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
  removeListener(event: 'drain' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
}

export const CHUNK_SIZE = 64 * 1024;

export class Output {
  private parts: string[] = [];
  /** Characters in `parts` (UTF-16 units: close enough to bytes for a bound). */
  private size = 0;
  /** Set while the stream has asked to wait (until it drains). */
  private waiting: Promise<void> | undefined;

  constructor(
    private readonly sink: OutputSink,
    private readonly chunkSize = CHUNK_SIZE,
  ) {}

  /** Text waiting here (not yet handed to the stream). */
  get buffered(): number {
    return this.size;
  }

  /**
   * Adds text. Returns a promise while the stream has asked to wait: a caller writing in a loop
   * must await it before writing more (one-off writes need not; they stay here until then).
   */
  write(text: string): Promise<void> | undefined {
    this.parts.push(text);
    this.size += text.length;
    if (this.waiting || this.size < this.chunkSize) return this.waiting;
    return this.hand();
  }

  /** Hands everything buffered to the stream and waits until the stream has taken it. */
  async end(): Promise<void> {
    for (;;) {
      if (this.waiting) await this.waiting;
      else if (this.size) this.hand();
      else return;
    }
  }

  /** Gives the buffer to the stream as one chunk; a promise when the stream asks to wait. */
  private hand(): Promise<void> | undefined {
    const chunk = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (this.sink.write(chunk)) return undefined;
    this.waiting = drained(this.sink).finally(() => (this.waiting = undefined));
    return this.waiting;
  }
}

/** Resolves on 'drain'; rejects on 'error', or on 'close' before draining (the reader went away). */
function drained(sink: OutputSink): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      sink.removeListener('drain', onDrain);
      sink.removeListener('error', onError);
      sink.removeListener('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (error: unknown) => done(error);
    const onClose = () => done(Object.assign(new Error('the output was closed'), { code: 'EPIPE' }));
    sink.once('drain', onDrain);
    sink.once('error', onError);
    sink.once('close', onClose);
  });
}
