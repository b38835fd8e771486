/**
 * The replay worker (bundled as dist/projection-worker.js): user projection code runs here, never
 * in the extension host or the CLI's main thread. It reads the source itself, keeps the replay's
 * keyframes, and answers the host's requests. While user code runs it marks the shared guard
 * (see guard.ts), so the host can stop a worker stuck in one event and say which.
 */

import { createRequire } from 'node:module';
import { serialize } from 'node:v8';
import { formatWithOptions } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { EventscopeError, messageOf, toWire } from '../errors';
import { guardSealedRejections } from '../sealed';
import { typeMatches } from '../events';
import { outputSink } from './engines';
import { registerUserFunctions, traceCalls, userFunction, WorkerGuard } from './guard';
import { installLiveHook, liveRun } from './live';
import { loadEngine, type CodeLocator } from './load';
import { eventLabel, Replay } from './replay';
import { openReplaySource } from './source';
import type { OpenArgs, UserCall, WorkerOp, WorkerOps, WorkerReply, WorkerRequest } from './protocol';
import type { UserFunction } from './types';

// Agents' expressions run here (sealed): their stray rejected promises must not end the worker.
guardSealedRejections();

const port = parentPort!;
const guard = new WorkerGuard((workerData as { guard: SharedArrayBuffer }).guard);
const requireForUser = createRequire(__filename);
installLiveHook();

// console.* inside user code goes to the step being recorded (and nowhere in fast passes).
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
  console[method] = (...args: unknown[]) => {
    outputSink.current?.logs.push(formatWithOptions({ colors: false, depth: 6, breakLength: Infinity }, ...args));
  };
}

let replay: Replay | undefined;
let locator: CodeLocator | undefined;

/** Opens a replay; when that fails, the one open before stays open (a re-run that went wrong). */
async function open(request: OpenArgs): Promise<WorkerOps['open']['reply']> {
  const restore = () => registerUserFunctions(replay?.engine.userFunctions ?? []);
  guard.enter(-1);
  let loaded;
  try {
    loaded = loadEngine(request.projection, requireForUser, guard);
  } catch (error) {
    restore();
    throw error;
  } finally {
    guard.exit();
  }
  const { engine, locator: nextLocator } = loaded;
  let next: Replay | undefined;
  try {
    const source = await openReplaySource(request.source, { keepStored: engine.kind === 'python' });
    next = new Replay(engine, source, {
      labels: (streamIds) => source.labels(streamIds, request.labelRules),
      limit: request.limit,
      interval: request.interval,
      ...(request.sealExpressions ? { sealExpressions: true } : {}),
      guard,
      describeError: (error) => (nextLocator ? nextLocator.describe(error) : messageOf(error)),
      onProgress: (steps) => port.postMessage({ progress: steps } satisfies WorkerReply),
    });
    await next.run();
  } catch (error) {
    if (next) await next.close();
    else engine.dispose?.();
    restore();
    throw error;
  }
  const previous = replay;
  replay = next;
  locator = nextLocator;
  await previous?.close();
  return {
    steps: next.length,
    source: next.source.label,
    projection: { name: engine.name, kind: engine.kind },
    ...(engine.runtime ? { runtime: engine.runtime } : {}),
    hasInvariant: engine.invariant !== undefined,
    ...(engine.partitioning ? { partitioning: engine.partitioning } : {}),
    errors: next.errors,
    breaks: next.breaks.breaks,
    failingSteps: next.breaks.failingSteps,
    truncated: next.truncated,
    elapsedMs: next.elapsedMs,
    keyframeInterval: next.keyframeInterval,
    keyframes: next.keyframeCount,
    ...(next.applicationTranscodings.size ? { transcodings: [...next.applicationTranscodings] } : {}),
  };
}

function current(): Replay {
  if (!replay) throw new EventscopeError('No replay is open.');
  return replay;
}

function userCall({ name, fn, on }: UserFunction): UserCall {
  const range = locator?.rangeOf(fn);
  return { name, ...(on !== undefined ? { on } : {}), ...(range ? { range } : {}) };
}

type Handlers = { [K in WorkerOp]: (request: WorkerRequest<K>) => WorkerOps[K]['reply'] | Promise<WorkerOps[K]['reply']> };

/** The worker's side of each operation (protocol.ts): one handler per op, typed by its reply. */
const handlers: Handlers = {
  open,
  events: (request) => current().events(request.from, request.count),
  async step(request) {
    const record = await current().step(request.index);
    const { before = false, maxStateBytes } = request.options ?? {};
    if (!before) record.stateBefore = undefined;
    if (maxStateBytes !== undefined) {
      record.stateBytes ??= serialize(record.stateAfter).length;
      if (record.stateBytes > maxStateBytes) Object.assign(record, { stateBefore: undefined, stateAfter: undefined, statesOmitted: true });
    }
    return record;
  },
  state: (request) => current().stateAfter(request.count),
  typedState: (request) => current().typedStateAfter(request.count),
  scan: (request) => current().scan(request.breakpoints, typeMatches, request.from, request.bounds),
  filter: (request) => current().matching(request.text),
  labels: async (request) => Object.fromEntries(await current().labels(request.streamIds)),
  locate: (request) => current().indexOf(request.key),
  find: (request) => current().firstFailure(request.from, request.expression),
  breaks: (request) => current().breaksOf(request.expression),
  preceding: (request) => current().preceding(request.index, request.count),
  async describe(request) {
    const event = await current().eventAt(request.index);
    if (!event) return { event: `step ${request.index + 1}` };
    const fn = request.fn === undefined ? undefined : userFunction(request.fn);
    const at = fn && locator?.ofFunction(fn.fn);
    return { event: eventLabel(event, request.index), ...(fn ? { fn: `${fn.name}${at ? ` at ${at}` : ''}` } : {}) };
  },
  async evaluate(request) {
    const evaluate = current().compile(request.expression, ['state', 'event', 'previousState']);
    const record = await current().step(request.index);
    guard.enter(request.index);
    let value: unknown;
    try {
      value = evaluate(record.stateAfter, record.event, record.stateBefore);
    } finally {
      guard.exit();
    }
    const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    if (typeof value === 'function' || typeof value === 'symbol') value = String(value);
    return { value, type };
  },
  async calls(request) {
    const calls = await traceCalls(request.index, () => current().step(request.index));
    return calls.map(userCall);
  },
  async seek(request) {
    await current().stateAfter(request.count);
    return undefined;
  },
  live(request) {
    if (request.resetCounts) liveRun.resetCounts();
    return current().runLive(request.from, request.to);
  },
  async close() {
    await replay?.close();
    replay = undefined;
    return undefined;
  },
};

async function handle<K extends WorkerOp>(request: WorkerRequest<K>): Promise<WorkerOps[K]['reply']> {
  return (handlers[request.op] as (request: WorkerRequest<K>) => WorkerOps[K]['reply'] | Promise<WorkerOps[K]['reply']>)(request);
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (value) => port.postMessage({ id: request.id, ok: true, value } satisfies WorkerReply),
    (error: unknown) => port.postMessage({ id: request.id, ok: false, error: toWire(error) } satisfies WorkerReply),
  );
});
