/**
 * A progress line on stderr for long reads (`\r 120,000 events…`), redrawn at most 10 times a
 * second and cleared at the end. Only where someone watches it: stderr is a terminal and stdout is
 * not (on a terminal the output itself shows the progress, and the two would mix).
 * `EVENTSCOPE_PROGRESS=1` forces it on (from the first page; for tests and CI logs), `0` off.
 */

export interface ProgressOptions {
  /** Milliseconds between redraws (default 100: at most 10 a second). */
  intervalMs?: number;
  /** Milliseconds before the first draw: short reads show nothing (default 250). */
  delayMs?: number;
  now?: () => number;
}

export interface ProgressSink {
  write(text: string): unknown;
}

const CLEAR = '\r\x1b[K';

export class Progress {
  private count = 0;
  private readonly started: number;
  private drawnAt = -Infinity;
  private drawn = false;
  private readonly intervalMs: number;
  private readonly delayMs: number;
  private readonly now: () => number;

  constructor(
    private readonly sink: ProgressSink,
    private readonly noun: string,
    options: ProgressOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.delayMs = options.delayMs ?? 250;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** Counts `n` more items; redraws when the interval has passed. */
  add(n: number): void {
    this.count += n;
    const now = this.now();
    if (now - this.started < this.delayMs || now - this.drawnAt < this.intervalMs) return;
    this.drawnAt = now;
    this.drawn = true;
    this.sink.write(`${CLEAR} ${this.count.toLocaleString('en-US')} ${this.noun}…`);
  }

  /** Clears the line (if anything was drawn): call before printing anything else on stderr. */
  done(): void {
    if (this.drawn) this.sink.write(CLEAR);
    this.drawn = false;
  }
}

/** The progress line for reading `noun`, or undefined where it should not show (see the top). */
export function progressFor(
  noun: string,
  env: NodeJS.ProcessEnv = process.env,
  streams: { stdout: { isTTY?: boolean }; stderr: ProgressSink & { isTTY?: boolean } } = process,
): Progress | undefined {
  const forced = env.EVENTSCOPE_PROGRESS;
  if (forced === '0') return undefined;
  if (forced === '1') return new Progress(streams.stderr, noun, { delayMs: 0 });
  if (!streams.stderr.isTTY || streams.stdout.isTTY) return undefined;
  return new Progress(streams.stderr, noun);
}
