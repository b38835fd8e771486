/**
 * The replay worker (bundled as dist/projection-worker.js): user projection code runs here, never
 * in the extension host or the CLI's main thread. It reads the source itself, keeps the replay's
 * keyframes, and answers the host's requests. While user code runs it marks the shared guard
 * (see guard.ts), so the host can stop a worker stuck in one event and say which.
 */

import { createRequire } from 'node:module';
import { formatWithOptions } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { EventscopeError, messageOf } from '../errors';
import { typeMatches } from '../events';
import { outputSink } from './engine';
import { userFunction, WorkerGuard } from './guard';
import { loadEngine, type CodeLocator } from './load';
import { eventLabel, Replay } from './replay';
import { openReplaySource } from './source';
import type { OpenRequest, WorkerReply, WorkerRequest } from './protocol';

const port = parentPort!;
const guard = new WorkerGuard((workerData as { guard: SharedArrayBuffer }).guard);
const requireForUser = createRequire(__filename);

// console.* inside user code goes to the step being recorded (and nowhere in fast passes).
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
  console[method] = (...args: unknown[]) => {
    outputSink.current?.logs.push(formatWithOptions({ colors: false, depth: 6, breakLength: Infinity }, ...args));
  };
}

let replay: Replay | undefined;
let locator: CodeLocator | undefined;

async function open(request: OpenRequest) {
  await replay?.close();
  replay = undefined;
  guard.enter(-1);
  let loaded;
  try {
    loaded = loadEngine(request.projection, requireForUser);
  } finally {
    guard.exit();
  }
  locator = loaded.locator;
  const source = await openReplaySource(request.source);
  const next = new Replay(loaded.engine, source, {
    limit: request.limit,
    interval: request.interval,
    guard,
    describeError: (error) => (locator ? locator.describe(error) : messageOf(error)),
    onProgress: (steps) => port.postMessage({ progress: steps } satisfies WorkerReply),
  });
  try {
    await next.run();
  } catch (error) {
    await next.close();
    throw error;
  }
  replay = next;
  return {
    steps: next.length,
    source: source.label,
    projection: { name: loaded.engine.name, kind: loaded.engine.kind },
    hasInvariant: loaded.engine.invariant !== undefined,
    errors: next.errors,
    failures: next.failures,
    elapsedMs: next.elapsedMs,
    keyframeInterval: next.keyframeInterval,
    keyframes: next.keyframeCount,
  };
}

function current(): Replay {
  if (!replay) throw new EventscopeError('No replay is open.');
  return replay;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'open':
      return open(request);
    case 'events':
      return current().events(request.from, request.count);
    case 'step':
      return current().step(request.index);
    case 'state':
      return current().stateAfter(request.count);
    case 'scan':
      return current().scan(request.breakpoints, typeMatches);
    case 'find':
      return current().firstFailure(request.from, request.expression);
    case 'describe': {
      const event = await current().eventAt(request.index);
      if (!event) return { event: `step ${request.index + 1}` };
      const fn = request.fn === undefined ? undefined : userFunction(request.fn);
      const at = fn && locator?.ofFunction(fn.fn);
      return { event: eventLabel(event, request.index), ...(fn ? { fn: `${fn.name}${at ? ` at ${at}` : ''}` } : {}) };
    }
    case 'close':
      await replay?.close();
      replay = undefined;
      return undefined;
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (value) => port.postMessage({ id: request.id, ok: true, value } satisfies WorkerReply),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        message: messageOf(error),
        userFacing: error instanceof EventscopeError,
        stack: error instanceof Error ? error.stack : undefined,
      } satisfies WorkerReply),
  );
});
