/**
 * The watchdog over user code. The worker marks a shared Int32Array when user code starts and
 * ends (a counter and the step it runs) and which user function it entered last; the host samples
 * it and stops a worker that stays in one call longer than the time budget, and can then say which
 * function of the user's file it was stuck in. Marking costs the worker a few array writes.
 */

import type { UserCodeGuard, UserFunction } from './types';

const SEQ = 0;
const WHERE = 1;
/** The id + 1 of the user function entered last (0: none). */
const FUNCTION = 2;
/** WHERE values: 0 idle, 1 loading the projection, index + 2 running step `index`. */
const LOADING = 1;

export function createGuardBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
}

/**
 * The user functions of the loaded projection, numbered in a fixed order (so a second worker that
 * loads the same code numbers them the same way), and where to mark the one entered.
 */
const callSites = {
  ids: new Map<unknown, number>(),
  functions: [] as UserFunction[],
  cells: undefined as Int32Array | undefined,
  /** While set: the ids of the user functions entered during step `index`, in order. */
  trace: undefined as { index: number; ids: number[] } | undefined,
};

export function registerUserFunctions(functions: readonly UserFunction[]): void {
  callSites.ids.clear();
  callSites.functions = functions.filter((f) => typeof f.fn === 'function');
  callSites.functions.forEach((f, id) => callSites.ids.set(f.fn, id));
}

/** The function registered as `id`. */
export function userFunction(id: number): UserFunction | undefined {
  return callSites.functions[id];
}

/** Engines call this just before they call a user function. */
export function markCall(fn: unknown): void {
  const cells = callSites.cells;
  if (!cells) return;
  const id = callSites.ids.get(fn) ?? -1;
  cells[FUNCTION] = id + 1;
  const trace = callSites.trace;
  if (trace && id >= 0 && cells[WHERE] === trace.index + 2) trace.ids.push(id);
}

/** The user functions `run` enters while it runs step `index` (in the order they are called). */
export async function traceCalls(index: number, run: () => Promise<unknown>): Promise<UserFunction[]> {
  const trace = { index, ids: [] as number[] };
  callSites.trace = trace;
  try {
    await run();
  } finally {
    callSites.trace = undefined;
  }
  return trace.ids.map((id) => callSites.functions[id]);
}

export class WorkerGuard implements UserCodeGuard {
  private readonly cells: Int32Array;
  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
    callSites.cells = this.cells;
  }
  enter(index: number): void {
    this.cells[FUNCTION] = 0;
    this.cells[SEQ]++;
    this.cells[WHERE] = index < 0 ? LOADING : index + 2;
  }
  exit(): void {
    this.cells[WHERE] = 0;
  }
}

/** Where user code was: a step index (-1 while the projection loads) and the function entered last. */
export interface Overrun {
  index: number;
  /** The id of the user function (see `registerUserFunctions`), if one was marked. */
  fn?: number;
}

/** Reads where user code is right now (after a worker died: where it was). */
export function readGuard(buffer: SharedArrayBuffer): Overrun | undefined {
  const cells = new Int32Array(buffer);
  const where = Atomics.load(cells, WHERE);
  if (where === 0) return undefined;
  const fn = Atomics.load(cells, FUNCTION);
  return { index: where === LOADING ? -1 : where - 2, ...(fn > 0 ? { fn: fn - 1 } : {}) };
}

/** Samples the guard every `budgetMs / 4` and calls `onOverrun` once when a call overruns. */
export class Watchdog {
  private readonly cells: Int32Array;
  private readonly timer: NodeJS.Timeout;
  private seq = -1;
  private since = 0;
  /** While held (user code paused in a debugger), no call overruns. */
  held = false;

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
        if (where === 0 || seq !== this.seq || this.held) {
          this.seq = seq;
          this.since = now;
          return;
        }
        if (now - this.since >= this.budgetMs) {
          this.dispose();
          onOverrun(readGuard(buffer) ?? { index: -1 });
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
