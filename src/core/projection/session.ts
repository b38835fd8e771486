/**
 * A replay session: the host side of one replay. It bundles the projection, runs it in a worker
 * with a memory limit and a per-event time budget, and forwards requests (steps, events,
 * breakpoint scans, invariant searches). A worker that overruns or crashes is replaced; the
 * session reports the event it stopped at, and its requests never hang.
 */

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EventscopeError, fromWire } from '../errors';
import type { EventKey, RecordedEvent, ValueKinds } from '../events';
import { createGuardBuffer, readGuard, Watchdog, type Overrun } from './guard';
import type { LabelRules } from '../labels';
import { bundleProjection, type BundledProjection, type ProjectionSpec } from './load';
import type { Evaluation, OpenResult, StepOptions, UserCall, WorkerOp, WorkerOps, WorkerReply } from './protocol';
import type { ReplaySourceSpec } from './source';
import type { Break, Breakpoint, BreakList, Mark, ProjectionChoice, ScanBounds, ScanResult, StepRecord } from './types';

export interface ReplaySessionOptions {
  source: ReplaySourceSpec;
  projection: ProjectionChoice;
  /** Longest a handler may run on one event (ms); default 1000. */
  timeBudgetMs?: number;
  /** The worker's heap limit (MB); default 512. */
  memoryLimitMb?: number;
  /** Steps between keyframes to start with. */
  keyframeInterval?: number;
  /** The `eventscope.streamLabels` rules the stream labels follow (core/labels.ts). */
  labelRules?: LabelRules;
  /** Typed expressions (invariants, conditions) come from an agent: run them sealed (core/sealed.ts). */
  sealExpressions?: boolean;
  /** The bundled worker; default projection-worker.js beside this bundle. */
  workerScript?: string;
  onProgress?: (steps: number) => void;
  /** Aborting stops the first pass (the worker is ended); `open` then rejects with "cancelled". */
  signal?: AbortSignal;
}

export interface ReplaySummary extends OpenResult {
  /** The projection file, unless generic. */
  projectionPath?: string;
  /** The earliest handler error or invariant break (the first failing step). */
  firstFailure?: Mark;
  /** Why the replay ends before the source does (a step overran its budget, the worker died). */
  stopped?: string;
}

/** `open` was cancelled through its signal (not a failure to report). */
export class ReplayCancelled extends EventscopeError {
  constructor() {
    super('The replay was cancelled.');
  }
}

export const DEFAULT_TIME_BUDGET_MS = 1000;
export const DEFAULT_MEMORY_LIMIT_MB = 512;

/** A worker died (overran, ran out of memory, crashed), in user code at `where` when known. */
class WorkerLost extends Error {
  constructor(
    readonly where: Overrun | undefined,
    readonly reason: 'time' | 'memory' | 'crash',
    detail: string,
  ) {
    super(detail);
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

class WorkerHandle {
  readonly worker: Worker;
  private readonly guard = createGuardBuffer();
  private readonly watchdog: Watchdog;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lost: WorkerLost | undefined;
  private overrun: Overrun | undefined;

  constructor(script: string, budgetMs: number, memoryLimitMb: number, onProgress?: (steps: number) => void) {
    this.worker = new Worker(script, {
      workerData: { guard: this.guard },
      resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb },
      stdout: false,
      stderr: false,
    });
    this.watchdog = new Watchdog(this.guard, budgetMs, (overrun) => {
      this.overrun = overrun;
      void this.worker.terminate();
    });
    this.worker.on('message', (reply: WorkerReply) => {
      if ('progress' in reply) return onProgress?.(reply.progress);
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(fromWire(reply.error));
    });
    this.worker.on('error', (error: Error & { code?: string }) => {
      const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.fail(new WorkerLost(readGuard(this.guard), memory ? 'memory' : 'crash', error.message));
    });
    this.worker.on('exit', (code) => {
      if (this.overrun !== undefined) this.fail(new WorkerLost(this.overrun, 'time', 'stopped after overrunning its time budget'));
      else this.fail(new WorkerLost(readGuard(this.guard), 'crash', `the replay worker exited (code ${code})`));
    });
    this.worker.unref();
  }

  private fail(lost: WorkerLost): void {
    this.watchdog.dispose();
    this.lost ??= lost;
    for (const pending of this.pending.values()) pending.reject(this.lost);
    this.pending.clear();
  }

  /** Sends one operation (protocol.ts); the reply's type is the operation's. */
  request<K extends WorkerOp>(op: K, args: WorkerOps[K]['args']): Promise<WorkerOps[K]['reply']> {
    if (this.lost) return Promise.reject(this.lost);
    const id = this.nextId++;
    return new Promise<WorkerOps[K]['reply']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // An idle worker doesn't keep the process alive; one with work pending does (the CLI).
      this.worker.ref();
      this.worker.postMessage({ ...args, op, id });
    });
  }

  /** While user code is paused in a debugger, the time budget does not run. */
  hold(paused: boolean): void {
    this.watchdog.held = paused;
  }

  async dispose(): Promise<void> {
    this.watchdog.dispose();
    this.lost ??= new WorkerLost(undefined, 'crash', 'the replay was closed');
    await this.worker.terminate();
  }
}

export class ReplaySession {
  private handle: WorkerHandle | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private spec: ProjectionSpec = { kind: 'generic' };
  summary!: ReplaySummary;
  private readonly budgetMs: number;
  private readonly memoryLimitMb: number;
  private disposed = false;

  private constructor(private readonly options: ReplaySessionOptions) {
    // Under a Python debugger the user's code pauses at breakpoints: no step overruns then.
    const debugged = options.projection.kind === 'python' && options.projection.debug !== undefined;
    this.budgetMs = debugged ? Infinity : (options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS);
    this.memoryLimitMb = options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
  }

  /** Bundles the projection, runs the first pass, and returns the open session. */
  static async open(options: ReplaySessionOptions): Promise<ReplaySession> {
    const session = new ReplaySession(options);
    const { signal } = options;
    const cancel = () => void session.dispose();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      if (signal?.aborted) throw new Error('aborted');
      await session.reload();
    } catch (error) {
      await session.dispose();
      if (signal?.aborted) throw new ReplayCancelled();
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    return session;
  }

  /** The bundled projection the worker runs (none: the generic one). */
  get bundle(): BundledProjection | undefined {
    return this.spec.kind === 'bundle' ? this.spec.bundle : undefined;
  }

  /** The worker thread user code runs in (started if none is), for a debugger to attach to. */
  get workerThreadId(): number {
    return this.worker().worker.threadId;
  }

  /** Holds the time budget while user code is paused in a debugger (and lets it run again). */
  holdTimeBudget(paused: boolean): void {
    this.handle?.hold(paused);
  }

  /** The files the projection was bundled from (its own and its imports): saving one calls for a re-run. */
  get projectionFiles(): string[] {
    const { projection } = this.options;
    if (projection.kind === 'python') return projection.path ? [projection.path] : [];
    return this.bundle?.inputs ?? [];
  }

  /**
   * Bundles the projection file again (after a save) and re-runs the replay. When that fails, the
   * previous run stays (the worker keeps it open), and so does the code it ran.
   */
  async reload(): Promise<ReplaySummary> {
    const { projection, source } = this.options;
    let spec: ProjectionSpec;
    if (projection.kind === 'python') {
      if (source.kind !== 'store') {
        throw new EventscopeError(
          'A Python replay reads an eventsourcing store (its events as stored); replay a .events file with a JavaScript projection.',
        );
      }
      spec = { kind: 'python', choice: projection, single: 'stream' in source.scope, memoryMb: this.memoryLimitMb };
    } else if (projection.kind === 'generic') spec = { kind: 'generic' };
    else spec = { kind: 'bundle', bundle: await bundleProjection(projection.path) };
    return this.serial(async () => {
      const previous = this.spec;
      this.spec = spec;
      try {
        return await this.start();
      } catch (error) {
        this.spec = previous;
        throw error;
      }
    });
  }

  /** The user's projection file, if the replay runs one. */
  private get projectionPath(): string | undefined {
    const { projection } = this.options;
    return projection.kind === 'generic' ? undefined : projection.path;
  }

  private get workerScript(): string {
    return this.options.workerScript ?? join(__dirname, 'projection-worker.js');
  }

  private worker(): WorkerHandle {
    if (this.disposed) throw new EventscopeError('This replay was closed.');
    this.handle ??= new WorkerHandle(this.workerScript, this.budgetMs, this.memoryLimitMb, this.options.onProgress);
    return this.handle;
  }

  /** Opens the replay in a worker; when a step kills it, again up to that step, noting why. */
  private async start(limit?: number, stopped?: string): Promise<ReplaySummary> {
    try {
      const result: OpenResult = await this.worker().request('open', {
        source: this.options.source,
        projection: this.spec,
        ...(limit !== undefined ? { limit } : {}),
        ...(this.options.keyframeInterval ? { interval: this.options.keyframeInterval } : {}),
        ...(this.options.labelRules ? { labelRules: this.options.labelRules } : {}),
        ...(this.options.sealExpressions ? { sealExpressions: true } : {}),
      });
      const firstFailure = [result.errors[0], result.breaks[0]].filter(Boolean).sort((a, b) => a.index - b.index)[0];
      this.summary = {
        ...result,
        ...(this.projectionPath ? { projectionPath: this.projectionPath } : {}),
        ...(firstFailure ? { firstFailure } : {}),
        ...(stopped ? { stopped } : {}),
      };
      return this.summary;
    } catch (error) {
      if (!(error instanceof WorkerLost)) throw error;
      this.handle = undefined;
      const index = error.where?.index;
      if (index === undefined || index < 0 || limit !== undefined) throw new EventscopeError(await this.explain(error), { cause: error });
      return this.start(index, await this.explain(error));
    }
  }

  /** One sentence on why a worker was lost, naming the event and the handler's line. */
  private async explain(lost: WorkerLost): Promise<string> {
    const what =
      lost.reason === 'time'
        ? `ran over its ${this.budgetMs} ms time budget`
        : lost.reason === 'memory'
          ? `ran out of memory (limit ${this.memoryLimitMb} MB)`
          : `crashed (${lost.message})`;
    const { projection } = this.options;
    const file = this.projectionPath ?? (projection.kind === 'python' ? 'The Python replay' : 'The generic projection');
    const stuck = lost.where;
    if (stuck === undefined) return `The replay worker ${what}.`;
    if (stuck.index < 0) return `${file} ${what} while loading.`;
    let where = `at step ${stuck.index + 1}`;
    try {
      // A fresh worker, opened only up to the step before, can say which event and handler.
      const probe = new WorkerHandle(this.workerScript, this.budgetMs, this.memoryLimitMb);
      try {
        await probe.request('open', { source: this.options.source, projection: this.spec, limit: stuck.index });
      } catch {
        // The probe runs the same code: describing may still work when opening fails.
      }
      try {
        const described = await probe.request('describe', {
          index: stuck.index,
          ...(stuck.fn !== undefined ? { fn: stuck.fn } : {}),
        });
        where = `on ${described.event}${described.fn ? ` in ${described.fn}` : ''}`;
      } finally {
        await probe.dispose();
      }
    } catch {
      // Keep the step number.
    }
    return `${file} ${what} ${where}; the replay stops before that event.`;
  }

  /** Runs requests one at a time; a lost worker is replaced (re-run to the same length). */
  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private call<K extends WorkerOp>(op: K, args: WorkerOps[K]['args']): Promise<WorkerOps[K]['reply']> {
    return this.serial(async () => {
      try {
        return await this.worker().request(op, args);
      } catch (error) {
        if (!(error instanceof WorkerLost)) throw error;
        this.handle = undefined;
        const message = await this.explain(error);
        await this.start(this.summary.steps, this.summary.stopped);
        throw new EventscopeError(message, { cause: error });
      }
    });
  }

  events(from: number, count: number): Promise<RecordedEvent[]> {
    return this.call('events', { from, count });
  }

  /** The events of steps `indexes` (ascending), read in windows of near steps; by step. */
  async eventsAt(indexes: readonly number[]): Promise<Map<number, RecordedEvent>> {
    const out = new Map<number, RecordedEvent>();
    for (let i = 0; i < indexes.length;) {
      let j = i;
      while (j + 1 < indexes.length && indexes[j + 1] - indexes[i] < 256) j++;
      const events = await this.events(indexes[i], indexes[j] - indexes[i] + 1);
      for (let k = i; k <= j; k++) {
        const event = events[indexes[k] - indexes[i]];
        if (event) out.set(indexes[k], event);
      }
      i = j + 1;
    }
    return out;
  }

  /** The record of a step; the state before only when asked, no states when `maxStateBytes` is passed. */
  step(index: number, options?: StepOptions): Promise<StepRecord> {
    return this.call('step', { index, ...(options ? { options } : {}) });
  }

  stateAfter(count: number): Promise<unknown> {
    return this.call('state', { count });
  }

  /** The state after `count` steps with the kinds of its exact values (JSON pointer -> kind, as an event's `kinds`). */
  typedStateAfter(count: number): Promise<{ state: unknown; kinds: ValueKinds }> {
    return this.call('typedState', { count });
  }

  finalState(): Promise<unknown> {
    return this.stateAfter(this.summary.steps);
  }

  /** Steps at or after `from` where the breakpoints hit (the first MARK_LIMIT, and whether there are more), and problems with conditions. */
  scan(breakpoints: Breakpoint[], from = 0, bounds?: ScanBounds): Promise<ScanResult> {
    return this.call('scan', { breakpoints, from, ...(bounds ? { bounds } : {}) });
  }

  /** A JavaScript expression over `state` (after step `index`), `event` and `previousState`, run in the worker. */
  evaluate(index: number, expression: string): Promise<Evaluation> {
    return this.call('evaluate', { index, expression });
  }

  /** The user functions step `index` runs (its handler, `any`, the invariant…) and where they are. */
  calls(index: number): Promise<UserCall[]> {
    return this.call('calls', { index });
  }

  /**
   * Runs steps `from`…`to - 1` as live steps, where a debugger's breakpoints in user code pause
   * (core/projection/live.ts); the step after which the run ended early, if it did.
   */
  live(from: number, to: number, options: { resetCounts?: boolean } = {}): Promise<number | undefined> {
    return this.call('live', { from, to, ...options });
  }

  /** Rebuilds the state before step `count` in the worker and keeps it there (a live run from `count` then starts at once). */
  seek(count: number): Promise<undefined> {
    return this.call('seek', { count });
  }

  /** The steps whose event's type, stream id or stream label contains every word of `text`. */
  filter(text: string): Promise<number[]> {
    return this.call('filter', { text });
  }

  /** The labels of these streams (core/labels.ts), those that have one. */
  async labels(streamIds: string[]): Promise<Map<string, string>> {
    if (!streamIds.length) return new Map();
    return new Map(Object.entries(await this.call('labels', { streamIds })));
  }

  /** The step of an event known by its key, if this replay has it. */
  indexOf(key: EventKey): Promise<number | undefined> {
    return this.call('locate', { key });
  }

  /**
   * The first step at or after `from` where the invariant breaks (goes from holding to failing, per
   * partition when the state is partitioned: core/projection/breaks.ts) or a handler throws: the
   * projection's invariant, or `expression`.
   */
  firstFailure(from = 0, expression?: string): Promise<Break | undefined> {
    return this.call('find', { from, ...(expression !== undefined ? { expression } : {}) });
  }

  /** Every break of the projection's invariant (as the summary has them), or of `expression` (one pass, then kept). */
  breaks(expression?: string): Promise<BreakList> {
    if (expression === undefined) {
      const { breaks, truncated, failingSteps } = this.summary;
      return Promise.resolve({ breaks, truncated: truncated.breaks, failingSteps });
    }
    return this.call('breaks', { expression });
  }

  /** The events of step `index`'s stream before it in the replay, the last `count` (oldest first), with their steps. */
  preceding(index: number, count: number): Promise<{ index: number; event: RecordedEvent }[]> {
    return this.call('preceding', { index, count });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.dispose();
  }
}
