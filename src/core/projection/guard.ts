/**
 * The watchdog over user code. The worker marks a shared Int32Array when user code starts and
 * ends (a counter and the step it runs); the host samples it and stops a worker that stays in one
 * call longer than the time budget. Sampling costs the worker two array writes per call.
 */

import type { UserCodeGuard } from './replay';

const SEQ = 0;
const WHERE = 1;
/** WHERE values: 0 idle, 1 loading the projection, index + 2 running step `index`. */
const LOADING = 1;

export function createGuardBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

export class WorkerGuard implements UserCodeGuard {
  private readonly cells: Int32Array;
  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }
  enter(index: number): void {
    this.cells[SEQ]++;
    this.cells[WHERE] = index < 0 ? LOADING : index + 2;
  }
  exit(): void {
    this.cells[WHERE] = 0;
  }
}

/** Where the stuck call was: a step index, or -1 while the projection loads. */
export interface Overrun {
  index: number;
}

/** Samples the guard every `budgetMs / 4` and calls `onOverrun` once when a call overruns. */
export class Watchdog {
  private readonly cells: Int32Array;
  private readonly timer: NodeJS.Timeout;
  private seq = -1;
  private since = 0;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly budgetMs: number,
    onOverrun: (overrun: Overrun) => void,
  ) {
    this.cells = new Int32Array(buffer);
    this.timer = setInterval(
      () => {
        const where = Atomics.load(this.cells, WHERE);
        const seq = Atomics.load(this.cells, SEQ);
        const now = performance.now();
        if (where === 0 || seq !== this.seq) {
          this.seq = seq;
          this.since = now;
          return;
        }
        if (now - this.since >= this.budgetMs) {
          this.dispose();
          onOverrun({ index: where === LOADING ? -1 : where - 2 });
        }
      },
      Math.max(10, Math.min(250, budgetMs / 4)),
    );
    this.timer.unref();
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
