/**
 * The Python projection engine: a replay through the user's own Python code (issue 10). Each
 * event is decoded by the user's application and applied by the Python runner (bridge.ts, the
 * runner script): to its aggregate with the library's `mutate`, or by the user's Python projection.
 *
 * The replay core keeps the state as the runner's *state texts* (runner.ts: a header line, then
 * the state's JSON through the app's transcoder): one text for a one-stream replay or a
 * projection, `{streamId: text}` for aggregates of a category or the log. Keyframes are these
 * texts, so time travel needs nothing kept in Python: when the replay continues from a state the
 * runner does not hold (after a seek), the engine sends that state back (`sync`) before the event.
 *
 * Events are applied in batches: the core hands the engine each page before applying its events
 * (`lookahead`), and the first event that has no result yet asks the runner for it and the events
 * after it in the page (for at most ~50 ms). A result is used only while the replay follows the
 * runner: the state it is applied to must be the one the runner assumed.
 */

import { EventscopeError } from '../errors';
import { pointerSegment, type RecordedEvent, type ValueKinds } from '../events';
import { decodeEventsourcingState } from '../codecs/eventsourcing';
import { storedForms } from '../stores/types';
import type { ProjectionEngine, PythonChoice, StepOutput, UserCodeGuard } from '../projection/types';
import { SyncPython } from './bridge';
import { PythonError, stateJson, wireEvent, type PythonConfig, type StepResult, type WireEvent } from './runner';

/** A runner's state text, or none (no aggregate yet). */
type Text = string | null;

const BATCH_MS = 50;
/** How long Python may take to start and import the user's application and projection. */
const STARTUP_DEADLINE_MS = 60_000;
const UNKNOWN = Symbol('unknown');

interface Batch {
  events: RecordedEvent[];
  results: StepResult[];
  pos: number;
  /** Per key, the state the runner assumed the next event of that key starts from. */
  inputs: Map<string, Text>;
}

/** The user's view of a state text: its JSON, exact values as strings (as event data shows them). */
export function presentText(text: Text): unknown {
  const json = stateJson(text);
  return json === null ? null : decodeEventsourcingState(Buffer.from(json, 'utf8')).value;
}

/** The kinds of the exact values of a state text (as `presentText` shows it), their pointers under `prefix`. */
function textKinds(text: Text, prefix: string): ValueKinds {
  const json = stateJson(text);
  if (json === null) return {};
  const kinds = decodeEventsourcingState(Buffer.from(json, 'utf8')).kinds;
  if (!prefix) return kinds;
  const out: ValueKinds = {};
  for (const path in kinds) out[prefix + path] = kinds[path];
  return out;
}

/** What the runner is told to do for a choice: the one place a choice's fields become the runner's. */
function configOf(choice: PythonChoice, context: { single: boolean; memoryMb?: number }): PythonConfig {
  return {
    single: context.single,
    ...(context.memoryMb ? { memory_mb: context.memoryMb } : {}),
    ...(choice.path ? { projection: choice.path } : {}),
    ...(choice.app ? { app: choice.app } : {}),
    ...(choice.pythonPath ? { path: choice.pythonPath } : {}),
    ...(choice.env ? { env: choice.env } : {}),
    ...(choice.invariant ? { invariant: choice.invariant } : {}),
    ...(choice.debug ? { debug: choice.debug } : {}),
    ...(choice.policy ? { policy: true } : {}),
    ...(choice.mutator ? { mutator: choice.mutator } : {}),
  };
}

export function pythonEngine(
  choice: PythonChoice,
  context: { single: boolean; memoryMb?: number; guard?: UserCodeGuard },
): ProjectionEngine {
  const python = new SyncPython(choice.interpreter ? { interpreter: choice.interpreter } : {});
  let configured;
  try {
    // Starting Python and importing the user's modules is not a step: the time budget does not
    // apply to it (a start-up deadline does).
    context.guard?.exit();
    configured = python.call(
      'configure',
      configOf(choice, context),
      undefined,
      // While a debugger is attached, a breakpoint in the user's module may hold the start.
      choice.debug ? Infinity : STARTUP_DEADLINE_MS,
    );
  } catch (error) {
    python.dispose();
    if (error instanceof PythonError) {
      const library = /the eventsourcing library is not importable/.test(error.message);
      const what = library ? 'the eventsourcing library' : (choice.path ?? choice.app ?? 'the eventsourcing library');
      throw new EventscopeError(`Python could not load ${what}: ${error.message}.`, { cause: error });
    }
    throw error;
  }
  const projection = configured.projection !== null;
  /** One state text for a stream or a projection; else `{streamId: text}`. */
  const one = projection || context.single;
  const keyOf = (event: RecordedEvent) => (one ? '' : event.streamId);
  const textOf = (state: unknown, key: string): Text => (one ? (state as Text) : ((state as Record<string, string>)[key] ?? null));

  /** What the runner holds, per key (absent: not known). */
  const known = new Map<string, Text>();
  let page: readonly RecordedEvent[] | undefined;
  let batch: Batch | undefined;
  let conditions: string[] = [];
  let last: { event: RecordedEvent; result: StepResult } | undefined;

  function toWire(event: RecordedEvent): WireEvent {
    const stored = storedForms.get(event);
    if (!stored) {
      throw new EventscopeError(
        `Python replays read events as the eventsourcing library stored them; ${event.type} at position ${event.position} comes from a source that has none (replay an eventsourcing store).`,
      );
    }
    return wireEvent(keyOf(event), stored.originatorId, event.revision, stored.topic, stored.state, event.position);
  }

  /** The next result of the batch, when it is this event's and the state is the one the runner assumed. */
  function take(event: RecordedEvent, key: string, input: Text): StepResult | undefined {
    if (!batch) return undefined;
    if (batch.events[batch.pos] !== event || batch.inputs.get(key) !== input) {
      batch = undefined;
      return undefined;
    }
    const result = batch.results[batch.pos++];
    if (!result.e) batch.inputs.set(key, result.s ?? null);
    if (batch.pos >= batch.results.length) batch = undefined;
    return result;
  }

  /** Asks the runner for this event and the rest of its page, sending first the states it doesn't hold. */
  function request(event: RecordedEvent, state: unknown, index: number): void {
    const at = page ? page.indexOf(event) : -1;
    const events = at >= 0 ? page!.slice(at) : [event];
    const inputs = new Map<string, Text>();
    const sync: Record<string, Text> = {};
    const differs = (key: string, text: Text) => (known.has(key) ? known.get(key) : UNKNOWN) !== text;
    for (const e of events) {
      const key = keyOf(e);
      if (inputs.has(key)) continue;
      const text = textOf(state, key);
      inputs.set(key, text);
      if (differs(key, text)) sync[key] = text;
    }
    if (!one && conditions.some((c) => /\bstate\b/.test(c))) {
      // An expression over every aggregate: the runner must hold them all as the replay has them.
      const all = state as Record<string, string>;
      for (const key of Object.keys(all)) if (!(key in sync) && differs(key, all[key])) sync[key] = all[key];
      for (const key of known.keys()) if (!(key in all) && known.get(key) !== null) sync[key] = null;
    }
    const wire = events.map(toWire);
    const results = python.call('apply', { events: wire, sync, budget_ms: BATCH_MS, conditions }, (n) => context.guard?.enter(index + n));
    for (const [key, text] of Object.entries(sync)) known.set(key, text);
    for (let i = 0; i < results.length; i++) {
      const key = wire[i].k;
      const result = results[i];
      if (!result.e) known.set(key, result.s ?? null);
      else if (result.forget) known.delete(key);
    }
    batch = { events: events.slice(0, results.length), results, pos: 0, inputs };
  }

  return {
    name: projection ? `${configured.projection} (Python)` : `Python aggregates (${configured.app})`,
    kind: 'python',
    runtime: configured.runtime,
    init: () => (projection ? configured.init : one ? null : {}),
    accepts: () => true,
    lookahead(events) {
      page = events;
    },
    apply(state: unknown, event: RecordedEvent, output: StepOutput | undefined, index = 0): unknown {
      const key = keyOf(event);
      const input = textOf(state, key);
      let result = take(event, key, input);
      if (!result) {
        request(event, state, index);
        result = take(event, key, input);
        if (!result) throw new EventscopeError(`The Python runner gave no result for ${event.type} at position ${event.position}.`);
      }
      last = { event, result };
      if (output && result.l) output.logs.push(...result.l);
      if (output && result.o) {
        for (const e of result.o)
          output.emitted.push({
            kind: 'emit',
            stream: e.stream,
            type: e.type,
            data: decodeEventsourcingState(Buffer.from(e.data, 'utf8')).value,
          });
      }
      if (result.e) throw PythonError.of(result.e);
      const text = result.s ?? null;
      if (one) return text;
      const all = state as Record<string, string>;
      if (text === null) delete all[key];
      else all[key] = text;
      return all;
    },
    ...(configured.hasInvariant
      ? { invariant: (_state: unknown, event: RecordedEvent) => (last?.event === event ? last.result.f : undefined) }
      : {}),
    // Each aggregate is its own state: the invariant breaks per aggregate (stream).
    ...(projection ? {} : { partitionOf: (event: RecordedEvent) => event.streamId, partitioning: 'stream' as const }),
    present: (state: unknown) =>
      one
        ? presentText(state as Text)
        : Object.fromEntries(Object.entries(state as Record<string, string>).map(([k, t]) => [k, presentText(t)])),
    stateKinds(state: unknown) {
      // The state texts are the transcoder's JSON: decoding them again gives their kinds.
      if (one) return textKinds(state as Text, '');
      const kinds: ValueKinds = {};
      for (const [key, text] of Object.entries(state as Record<string, string>))
        Object.assign(kinds, textKinds(text, `/${pointerSegment(key)}`));
      return kinds;
    },
    compileConditions(expressions: string[]) {
      conditions = expressions;
      batch = undefined; // its results have no verdicts for these
      return expressions.map((_, i) => (event: RecordedEvent) => {
        const verdict = last?.event === event ? last.result.c?.[i] : undefined;
        if (verdict === undefined) throw new EventscopeError('the Python runner gave no verdict for this event');
        if (typeof verdict === 'object') throw new EventscopeError(verdict.error);
        return verdict;
      });
    },
    userFunctions: [],
    dispose: () => python.dispose(),
  };
}
