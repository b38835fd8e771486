/**
 * A replay as a pure fold over a source's events, with time travel. Keyframes (the state,
 * serialized, and the cursor of the event that follows) are kept along the first pass; seeking
 * re-reads and re-runs from the nearest one. Their spacing adapts to the state: at least
 * `interval` steps apart, and far enough that serializing the state costs at most a quarter of
 * the replay (a big state gets fewer keyframes). When they outgrow their count or byte budget every
 * other one is dropped, so memory stays bounded at any length. Events are never held: the source
 * is read again from a keyframe's cursor. The state last seeked to is kept as one more (floating)
 * keyframe, so stepping forward costs one event, not a re-run.
 */

import { diffStates } from './diff';
import { deserialize, serialize } from 'node:v8';
import { compileWhere, whereOf } from '../where';
import { EventscopeError, messageOf } from '../errors';
import { compileSealed } from '../sealed';
import { collectApplicationTranscodings } from '../codecs/transcodings';
import { addValueKinds, qualifiedName, sameEvent, type EventKey, type RecordedEvent, type ValueKinds } from '../events';
import { LabelCache } from '../labels';
import { partitionPoint } from '../sorted';
import { BreakTracker } from './breaks';
import { liveRun } from './live';
import type { ReplaySource } from './source';
import {
  MARK_LIMIT,
  type Break,
  type BreakList,
  type Breakpoint,
  type Mark,
  type ScanBounds,
  type ProjectionEngine,
  type ScanResult,
  type StepOutput,
  type StepRecord,
  type UserCodeGuard,
} from './types';

const NO_GUARD: UserCodeGuard = { enter() {}, exit() {} };

export interface ReplayOptions {
  /** The fewest steps between keyframes (doubles as keyframes are thinned). */
  interval?: number;
  maxKeyframes?: number;
  maxKeyframeBytes?: number;
  /** Stop the first pass after this many steps (the event after it could not be run). */
  limit?: number;
  guard?: UserCodeGuard;
  /** How an error thrown by user code is described (the worker adds the source line). */
  describeError?: (error: unknown) => string;
  onProgress?: (steps: number) => void;
  /** Reads stream labels (the source's, with the label rules): the filter matches them, steps carry them. */
  labels?: (streamIds: string[]) => Promise<Map<string, string>>;
  /** Typed JavaScript conditions come from an agent: run them sealed (core/sealed.ts). */
  sealExpressions?: boolean;
}

interface Keyframe {
  /** The state before step `index`. */
  index: number;
  /** The cursor of event `index`; undefined: the start of the source. */
  cursor: number | undefined;
  state: Buffer;
}

/** A keyframe may cost at most 1/KEYFRAME_COST_SHARE of the replay time it saves. */
const KEYFRAME_COST_SHARE = 4;

function freeze(state: unknown): Buffer {
  try {
    return serialize(state);
  } catch (error) {
    throw new EventscopeError(`The projection's state can't be copied for time travel (${messageOf(error)}); keep it to plain data.`, {
      cause: error,
    });
  }
}

const thaw = (buffer: Buffer): unknown => deserialize(buffer);

/** The first `count` events of a page (all of it when it has no more). */
function upTo(page: RecordedEvent[], count: number): RecordedEvent[] {
  return page.length > count ? page.slice(0, Math.max(0, count)) : page;
}

export function eventLabel(event: RecordedEvent, index: number): string {
  return `event #${index + 1} (${event.type}, stream ${event.streamId} revision ${event.revision}, position ${event.position})`;
}

interface Condition {
  expression: string;
  test: (state: unknown, event: unknown, before: unknown) => unknown;
  /** It reads `before`: the state before each event must be copied (handlers mutate it). */
  usesBefore: boolean;
}

/** A JavaScript expression typed by the user, as a function of `names` (strict mode). */
export function compileExpression(expression: string, names: string[], what = 'expression'): (...values: unknown[]) => unknown {
  try {
    return new Function(...names, `"use strict"; return (${expression}\n);`) as (...values: unknown[]) => unknown;
  } catch (error) {
    throw new EventscopeError(`The ${what} "${expression}" is not a JavaScript expression: ${messageOf(error)}.`, { cause: error });
  }
}

export class Replay {
  private keyframes: Keyframe[] = [];
  private keyframeBytes = 0;
  /** The last state seeked to (see `remember`). */
  private floating: Keyframe | undefined;
  private finalState: Buffer | undefined;
  private minGap: number;
  private readonly maxKeyframes: number;
  private readonly maxKeyframeBytes: number;
  private readonly guard: UserCodeGuard;
  private readonly describeError: (error: unknown) => string;
  /** Stream labels read so far (each stream's once). */
  private readonly labelCache: LabelCache | undefined;
  length = 0;
  /** Handler errors of the first pass: the first MARK_LIMIT. */
  readonly errors: Mark[] = [];
  /** Where the projection's own invariant breaks (breaks.ts), found by the first pass. */
  breaks: BreakList = { breaks: [], truncated: false, failingSteps: 0 };
  /** Whether the first pass found more errors / breaks than it kept. */
  readonly truncated = { errors: false, breaks: false };
  /** The breaks of typed expressions, each found by one pass over the replay (the latest few). */
  private readonly expressionBreaks = new Map<string, BreakList>();
  elapsedMs = 0;
  /** The application transcodings among the first pass's events (`custom:NAME` kinds): shown as stored. */
  readonly applicationTranscodings = new Set<string>();

  constructor(
    readonly engine: ProjectionEngine,
    readonly source: ReplaySource,
    private readonly options: ReplayOptions = {},
  ) {
    this.minGap = options.interval ?? 256;
    this.maxKeyframes = options.maxKeyframes ?? 4096;
    this.maxKeyframeBytes = options.maxKeyframeBytes ?? 64 * 1024 * 1024;
    this.guard = options.guard ?? NO_GUARD;
    this.describeError = options.describeError ?? messageOf;
    this.labelCache = options.labels ? new LabelCache(options.labels) : undefined;
  }

  /** The labels of these streams (those that have one; none when the replay reads no labels). */
  async labels(streamIds: Iterable<string>): Promise<Map<string, string>> {
    return this.labelCache ? this.labelCache.labels(streamIds) : new Map();
  }

  /** Average steps between keyframes. */
  get keyframeInterval(): number {
    return this.keyframes.length ? Math.round(this.length / this.keyframes.length) : 0;
  }

  get keyframeCount(): number {
    return this.keyframes.length;
  }

  /** The keyframe closest before (or at) step `index`, the floating one included. */
  private nearest(index: number): Keyframe {
    let low = 0;
    let high = this.keyframes.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.keyframes[mid].index <= index) low = mid;
      else high = mid - 1;
    }
    const fixed = this.keyframes[low];
    const floating = this.floating;
    return floating && floating.index <= index && floating.index > fixed.index ? floating : fixed;
  }

  /**
   * Accepted events from a keyframe on, with their indexes, until `visit` returns false. An engine
   * that looks ahead sees each page only up to step `end` (default: the replay's length): no event
   * the walk won't visit is run (one that overran its time budget lies past the length).
   */
  private async walk(from: Keyframe, visit: (event: RecordedEvent, index: number) => boolean | void, end = this.length): Promise<void> {
    let index = from.index;
    const engine = this.engine;
    for await (const page of this.source.pages(from.cursor)) {
      engine.lookahead?.(upTo(page, end - index));
      for (const event of page) {
        if (!engine.accepts(event)) continue;
        if (visit(event, index++) === false) return;
      }
    }
  }

  /**
   * Conditions typed by the user, by expression: in the engine's own language when it has one (a
   * Python replay's conditions are Python), else JavaScript. One that does not compile: its error.
   */
  private conditions(expressions: string[]): Map<string, Condition | Error> {
    const unique = [...new Set(expressions)];
    const engine = this.engine;
    if (!engine.compileConditions) {
      return new Map<string, Condition | Error>(
        unique.map((expression): [string, Condition | Error] => {
          try {
            // A condition breakpoint or an invariant typed by the user: `state`, `event` and `before` in scope.
            const test = this.compile(expression, ['state', 'event', 'before'], 'condition') as Condition['test'];
            return [expression, { expression, test, usesBefore: /\bbefore\b/.test(expression) }];
          } catch (error) {
            return [expression, error instanceof Error ? error : new Error(String(error))];
          }
        }),
      );
    }
    const tests = engine.compileConditions(unique);
    return new Map<string, Condition | Error>(
      unique.map((expression, i): [string, Condition] => [
        expression,
        { expression, test: (_state, event) => tests[i](event as RecordedEvent), usesBefore: false },
      ]),
    );
  }

  /** A walk that evaluates `conditions`: an engine that evaluates them itself forgets them after. */
  private async walkWith(
    conditions: Map<string, Condition | Error>,
    from: Keyframe,
    visit: (event: RecordedEvent, index: number) => boolean | void,
  ): Promise<void> {
    try {
      await this.walk(from, visit);
    } finally {
      if (conditions.size) this.engine.compileConditions?.([]);
    }
  }

  /** Applies one event, guarded; a throwing handler leaves the state as far as it got. */
  private apply(state: unknown, event: RecordedEvent, index: number, output?: StepOutput): { state: unknown; error?: string } {
    this.guard.enter(index);
    try {
      return { state: this.engine.apply(state, event, output, index) };
    } catch (error) {
      return { state, error: this.describeError(error) };
    } finally {
      this.guard.exit();
    }
  }

  private invariant(state: unknown, event: RecordedEvent, index: number): string | undefined {
    if (!this.engine.invariant) return undefined;
    this.guard.enter(index);
    try {
      return this.engine.invariant(state, event);
    } catch (error) {
      return `the invariant threw: ${this.describeError(error)}`;
    } finally {
      this.guard.exit();
    }
  }

  /**
   * Records step `index`'s verdict in `tracker` (breaks.ts). The partition is asked only when it
   * matters: when the step fails, or when some partition fails (this one may heal). A throwing
   * `partitionBy` fails the step.
   */
  private verdict(tracker: BreakTracker, event: RecordedEvent, index: number, failure: string | undefined): Break | undefined {
    const engine = this.engine;
    let partition: string | undefined;
    if (engine.partitionOf && (failure !== undefined || tracker.anyFailing)) {
      this.guard.enter(index);
      try {
        partition = engine.partitionOf(event);
      } catch (error) {
        failure ??= `partitionBy threw: ${this.describeError(error)}`;
      } finally {
        this.guard.exit();
      }
    }
    return tracker.record(index, partition, failure);
  }

  private newTracker(from = 0, limit = MARK_LIMIT): BreakTracker {
    return new BreakTracker(this.engine.partitionOf !== undefined, from, limit);
  }

  /** A condition on one step, guarded like all user code: whether it holds, or what it threw. */
  private evaluate(
    condition: Condition,
    state: unknown,
    event: RecordedEvent,
    before: unknown,
    index: number,
  ): { holds: boolean } | { error: string } {
    this.guard.enter(index);
    try {
      return { holds: Boolean(condition.test(state, event, before)) };
    } catch (error) {
      return { error: messageOf(error) };
    } finally {
      this.guard.exit();
    }
  }

  private addKeyframe(index: number, cursor: number | undefined, state: unknown): void {
    const frozen = freeze(state);
    this.keyframes.push({ index, cursor, state: frozen });
    this.keyframeBytes += frozen.length;
    if (this.keyframes.length > this.maxKeyframes || (this.keyframeBytes > this.maxKeyframeBytes && this.keyframes.length > 2)) {
      this.keyframes = this.keyframes.filter((_, k) => k % 2 === 0);
      this.keyframeBytes = this.keyframes.reduce((sum, f) => sum + f.state.length, 0);
      this.minGap *= 2;
    }
  }

  /** Keeps `state` (after `index` steps; event `index` is at `cursor`) as the floating keyframe; its size. */
  private remember(index: number, cursor: number | undefined, state: unknown): number | undefined {
    if (cursor === undefined) return undefined;
    this.floating = { index, cursor, state: freeze(state) };
    return this.floating.state.length;
  }

  /** A typed JavaScript expression over `names`, sealed when the replay's expressions come from an agent. */
  compile(expression: string, names: string[], what?: string): (...values: unknown[]) => unknown {
    return this.options.sealExpressions ? compileSealed(expression, names, what) : compileExpression(expression, names, what);
  }

  /** The first pass: every event once, keyframes on the way, errors and invariant failures marked. */
  async run(): Promise<void> {
    const started = performance.now();
    const { limit = Infinity, onProgress } = this.options;
    let state: unknown;
    this.guard.enter(0);
    try {
      state = this.engine.init();
    } catch (error) {
      throw new EventscopeError(`The projection's init failed: ${this.describeError(error)}.`, { cause: error });
    } finally {
      this.guard.exit();
    }
    let index = 0;
    let lastProgress = started;
    const engine = this.engine;
    const checks = engine.invariant !== undefined;
    const tracker = this.newTracker();
    this.addKeyframe(0, undefined, state);
    let gap = this.minGap;
    let lastKeyframe = 0;
    outer: for await (const page of this.source.pages()) {
      engine.lookahead?.(upTo(page, limit - index));
      for (const event of page) {
        if (!engine.accepts(event)) continue;
        if (index >= limit) break outer;
        collectApplicationTranscodings(event.kinds, this.applicationTranscodings);
        if (index - lastKeyframe >= gap) {
          // Space keyframes so that serializing them costs at most a share of the replay time: the
          // time per step so far (an engine that applies in batches spends it unevenly).
          const now = performance.now();
          const perStep = (now - started) / index;
          this.addKeyframe(index, this.source.cursorOf(event, index), state);
          const after = performance.now();
          gap = Math.max(this.minGap, Math.ceil((KEYFRAME_COST_SHARE * (after - now)) / Math.max(perStep, 1e-6)));
          lastKeyframe = index;
        }
        const applied = this.apply(state, event, index);
        state = applied.state;
        if (applied.error !== undefined) this.mark('errors', { index, message: applied.error });
        if (checks) this.verdict(tracker, event, index, this.invariant(state, event, index));
        index++;
      }
      if (onProgress && performance.now() - lastProgress > 100) {
        lastProgress = performance.now();
        onProgress(index);
      }
    }
    this.length = index;
    this.finalState = freeze(state);
    this.breaks = tracker.result();
    this.truncated.breaks = this.breaks.truncated;
    this.elapsedMs = performance.now() - started;
  }

  /** The user's view of a state (see ProjectionEngine.present). */
  private present(state: unknown): unknown {
    return this.engine.present ? this.engine.present(state) : state;
  }

  /** The state after `count` steps (0: the initial state), re-run from the nearest keyframe, as the user sees it. */
  async stateAfter(count: number): Promise<unknown> {
    return this.present(await this.stateAt(count));
  }

  /**
   * The state after `count` steps as the user sees it, with the kinds of its exact values (JSON
   * pointer -> kind, as an event's `kinds`): those the engine knows or traces (`stateKinds`), and
   * every bigint and non-finite number in it.
   */
  async typedStateAfter(count: number): Promise<{ state: unknown; kinds: ValueKinds }> {
    const raw = await this.stateAt(count);
    const state = this.present(raw);
    const engine = this.engine;
    const applied = async (visit: (event: RecordedEvent) => void) => {
      // Read again from the start (no lookahead: nothing is applied).
      let index = 0;
      for await (const page of this.source.pages()) {
        for (const event of page) {
          if (!engine.accepts(event)) continue;
          if (index++ >= count) return;
          visit(event);
        }
      }
    };
    const kinds: ValueKinds = { ...(engine.stateKinds ? await engine.stateKinds(raw, applied) : {}) };
    addValueKinds(state, '', kinds, new Set());
    return { state, kinds };
  }

  private async stateAt(count: number): Promise<unknown> {
    this.checkRange(count, this.length);
    if (count === this.length && this.finalState) return thaw(this.finalState);
    const from = this.nearest(count);
    let state = thaw(from.state);
    if (count === from.index) return state;
    let next: number | undefined;
    await this.walk(
      from,
      (event, index) => {
        if (index === count) {
          next = this.source.cursorOf(event, index);
          return false;
        }
        state = this.apply(state, event, index).state;
        return true;
      },
      count,
    );
    this.remember(count, next, state);
    return state;
  }

  private checkRange(index: number, max: number): void {
    if (!Number.isInteger(index) || index < 0 || index > max)
      throw new EventscopeError(`There is no step ${index} in this replay (0…${max}).`);
  }

  /** The record of step `index`: the state before and after it, what changed, its output. */
  async step(index: number): Promise<StepRecord> {
    this.checkRange(index, this.length - 1);
    const from = this.nearest(index);
    let before = thaw(from.state);
    let record: StepRecord | undefined;
    let after: unknown;
    await this.walk(
      from,
      (event, i) => {
        if (i < index) {
          before = this.apply(before, event, i).state;
          return true;
        }
        if (record) {
          // The event after: stepping on from here starts at the state after this step.
          record.stateBytes = this.remember(i, this.source.cursorOf(event, i), after);
          return false;
        }
        const output: StepOutput = { emitted: [], logs: [] };
        // A copy to apply on, so `before` stays; straight from the keyframe's bytes when it is one.
        const working = i === from.index ? thaw(from.state) : thaw(freeze(before));
        const started = performance.now();
        const applied = this.apply(working, event, i, output);
        after = applied.state;
        const elapsedMs = performance.now() - started;
        const invariantFailure = this.invariant(applied.state, event, i);
        const shownBefore = this.present(before);
        const shownAfter = this.present(applied.state);
        record = {
          index,
          event,
          stateBefore: shownBefore,
          stateAfter: shownAfter,
          changes: diffStates(shownBefore, shownAfter),
          ...(applied.error !== undefined ? { error: applied.error } : {}),
          ...(invariantFailure !== undefined ? { invariantFailure } : {}),
          elapsedMs,
          output,
        };
        return i + 1 < this.length;
      },
      index + 1,
    );
    if (!record) throw new EventscopeError(`Step ${index} could not be read again from ${this.source.label}; has the store changed?`);
    const label = await this.labelCache?.label(record.event.streamId);
    if (label !== undefined) record.label = label;
    return record;
  }

  /** Events `from`…`from + count - 1` (without running the projection), for a timeline. */
  async events(from: number, count: number): Promise<RecordedEvent[]> {
    this.checkRange(from, this.length);
    const end = Math.min(from + count, this.length);
    const out: RecordedEvent[] = [];
    if (from >= end) return out;
    await this.walk(this.nearest(from), (event, i) => {
      if (i >= from) out.push(event);
      return i + 1 < end;
    });
    return out;
  }

  /**
   * The events of step `index`'s stream before it in this replay, the last `count` of them (oldest
   * first) with their steps: read back from the step in windows, each twice as long as the last.
   */
  async preceding(index: number, count: number): Promise<{ index: number; event: RecordedEvent }[]> {
    this.checkRange(index, this.length - 1);
    const [event] = await this.events(index, 1);
    const found: { index: number; event: RecordedEvent }[] = [];
    for (let end = index, size = 256; end > 0 && found.length < count; size *= 2) {
      const start = Math.max(0, end - size);
      const window = await this.events(start, end - start);
      for (let i = window.length - 1; i >= 0 && found.length < count; i--) {
        if (window[i].streamId === event.streamId) found.push({ index: start + i, event: window[i] });
      }
      end = start;
    }
    return found.reverse();
  }

  /** The event of step `index`, even one past the end (the event a stopped replay could not run). */
  async eventAt(index: number): Promise<RecordedEvent | undefined> {
    let found: RecordedEvent | undefined;
    await this.walk(this.nearest(index), (event, i) => {
      if (i === index) found = event;
      return i < index;
    });
    return found;
  }

  /**
   * The steps whose event matches a filter text (as `filterMatches`: every word in its type,
   * stream id or stream label), read without the projection. Events that could match only by the
   * label of a stream not labelled yet are noted (as numbers) and decided once those labels are read.
   */
  async matching(text: string): Promise<number[]> {
    const where = whereOf(text);
    if (where !== undefined) return this.matchingWhere(where);
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    const cache = this.labelCache;
    // Types and labels lowercased once; `lowerLabels`: null for none, absent while not read.
    const types = new Map<string, number>();
    const lowerTypes: string[] = [];
    const typeOf = (type: string) => {
      let n = types.get(type);
      if (n === undefined) {
        types.set(type, (n = lowerTypes.length));
        // With its qualified name: a module-level class as `Dog.TrickAdded` (see `learnAggregate`).
        lowerTypes.push(`${type} ${qualifiedName(type)}`.toLowerCase());
      }
      return n;
    };
    const lowerLabels = new Map<string, string | null>();
    const matches = (type: number, streamId: string, label: string | null | undefined) => {
      const id = streamId.toLowerCase();
      return words.every((w) => lowerTypes[type].includes(w) || id.includes(w) || (typeof label === 'string' && label.includes(w)));
    };
    const found: number[] = [];
    /** Triplets: step, stream (index into `streams`), type (see `typeOf`). */
    const pending: number[] = [];
    const streams = new Map<string, number>();
    await this.walk(this.keyframes[0], (event, index) => {
      if (index >= this.length) return false;
      const type = typeOf(event.type);
      let label: string | null | undefined;
      if (cache) {
        label = lowerLabels.get(event.streamId);
        if (label === undefined) {
          const known = cache.peek(event.streamId);
          if (known !== undefined) lowerLabels.set(event.streamId, (label = known === null ? null : known.toLowerCase()));
        }
      }
      if (matches(type, event.streamId, label)) found.push(index);
      else if (cache && label === undefined) {
        let stream = streams.get(event.streamId);
        if (stream === undefined) streams.set(event.streamId, (stream = streams.size));
        pending.push(index, stream, type);
      }
      return true;
    });
    if (!cache || !pending.length) return found;
    const streamIds = [...streams.keys()];
    const labels = await cache.labels(streamIds);
    const late: number[] = [];
    for (let i = 0; i < pending.length; i += 3) {
      const streamId = streamIds[pending[i + 1]];
      const label = labels.get(streamId)?.toLowerCase();
      if (label !== undefined && matches(pending[i + 2], streamId, label)) late.push(pending[i]);
    }
    if (!late.length) return found;
    // Both are ascending: merge them.
    const merged: number[] = [];
    let a = 0;
    let b = 0;
    while (a < found.length || b < late.length)
      merged.push(b >= late.length || (a < found.length && found[a] < late[b]) ? found[a++] : late[b++]);
    return merged;
  }

  /** The steps whose event a `where` expression holds for (sealed off, a page at a time; one that throws is no match). */
  private async matchingWhere(expression: string): Promise<number[]> {
    const filter = compileWhere(expression);
    const found: number[] = [];
    let events: RecordedEvent[] = [];
    let indexes: number[] = [];
    const flush = () => {
      filter.select(events).matches.forEach((yes, i) => yes && found.push(indexes[i]));
      events = [];
      indexes = [];
    };
    await this.walk(this.keyframes[0], (event, index) => {
      if (index >= this.length) return false;
      events.push(event);
      indexes.push(index);
      if (events.length === 1000) flush();
      return true;
    });
    flush();
    return found;
  }

  /** The step of an event known by its key (after a re-run, the cursor's event), if it is there. */
  async indexOf(key: EventKey): Promise<number | undefined> {
    const cursor = this.source.cursorFor(key);
    let from = this.keyframes[0];
    if (cursor !== undefined) {
      // Cursors grow along the replay: start at the last keyframe before the event's.
      for (const frame of this.keyframes) if (frame.cursor !== undefined && frame.cursor <= cursor) from = frame;
    }
    let found: number | undefined;
    await this.walk(from, (event, index) => {
      if (index >= this.length) return false;
      if (sameEvent(event, key)) found = index;
      return found === undefined && (cursor === undefined || this.source.cursorOf(event, index) <= cursor);
    });
    return found;
  }

  private mark(kind: 'errors', mark: Mark): void {
    if (this[kind].length < MARK_LIMIT) this[kind].push(mark);
    else this.truncated[kind] = true;
  }

  /**
   * The steps at or after `from` where any breakpoint hits, in order (the first MARK_LIMIT, and
   * whether there are more: the scan goes on to the next hit past them, or to the end). A
   * type breakpoint hits on a matching event; a condition hits when it is truthy with the state
   * after the event. A condition that does not compile, or that throws, is reported in `problems`
   * (once) and never hits.
   */
  async scan(
    breakpoints: Breakpoint[],
    matchesType: (type: string, key: string) => boolean,
    from = 0,
    bounds: ScanBounds = {},
  ): Promise<ScanResult> {
    this.checkRange(from, this.length);
    const to = Math.min(bounds.to ?? this.length, this.length);
    const limit = Math.min(bounds.limit ?? MARK_LIMIT, MARK_LIMIT);
    const problems = new Map<string, string>();
    const expressionOf = (b: Breakpoint) => (b.kind === 'condition' ? b.expression : b.condition);
    const conditions = this.conditions(breakpoints.map(expressionOf).filter((e) => e !== undefined));
    // Each breakpoint: an event type, a condition, or both (a type with a condition).
    const compiled = breakpoints.flatMap((b): { type: string | undefined; condition: Condition | undefined }[] => {
      const expression = expressionOf(b);
      if (expression === undefined) return [{ type: b.kind === 'type' ? b.type : undefined, condition: undefined }];
      const condition = conditions.get(expression)!;
      if (condition instanceof Error) {
        problems.set(expression, messageOf(condition));
        return [];
      }
      return [{ type: b.kind === 'type' ? b.type : undefined, condition }];
    });
    const conditional = compiled.some((b) => b.condition);
    const copyBefore = compiled.some((b) => b.condition?.usesBefore);
    const hits: number[] = [];
    let truncated = false;
    if (!compiled.length) return { hits, truncated, problems: [...problems.values()] };
    const start = conditional ? this.nearest(from) : this.keyframes[0];
    let state = conditional ? thaw(start.state) : undefined;
    await this.walkWith(conditions, start, (event, index) => {
      if (index >= to || truncated) return false;
      if (index < from) {
        if (conditional) state = this.apply(state, event, index).state;
        return true;
      }
      let before: unknown;
      if (conditional) {
        before = copyBefore ? thaw(freeze(state)) : state;
        state = this.apply(state, event, index).state;
      }
      let hit = false;
      for (const b of compiled) {
        if (b.type !== undefined && !matchesType(event.type, b.type)) continue;
        if (!b.condition) hit = true;
        else {
          const c = b.condition;
          const verdict = this.evaluate(c, state, event, before, index);
          if ('error' in verdict) {
            if (!problems.has(c.expression))
              problems.set(c.expression, `"${c.expression}" failed at ${eventLabel(event, index)}: ${verdict.error}`);
          } else hit = verdict.holds;
        }
        if (hit) break;
      }
      if (hit && hits.length < limit) hits.push(index);
      else if (hit) truncated = true;
      return true;
    });
    return { hits, truncated, problems: [...problems.values()] };
  }

  /**
   * Where the invariant breaks over the whole replay (breaks.ts): the projection's own (found by the
   * first pass), or `expression` (which must stay truthy), found by one pass and kept.
   */
  async breaksOf(expression?: string): Promise<BreakList> {
    if (expression === undefined) return this.breaks;
    const known = this.expressionBreaks.get(expression);
    if (known) return known;
    const tracker = this.newTracker();
    await this.detect(expression, tracker);
    const list = tracker.result();
    if (this.expressionBreaks.size >= 8) this.expressionBreaks.delete(this.expressionBreaks.keys().next().value!);
    this.expressionBreaks.set(expression, list);
    return list;
  }

  /**
   * The first step at or after `from` where the invariant breaks (the projection's own, or
   * `expression` when given), or a handler throws: Find first failure, Next, a debugger's Continue.
   * A step that stays broken after a break is not one (breaks.ts).
   */
  async firstFailure(from = 0, expression?: string): Promise<Break | undefined> {
    this.checkRange(from, this.length);
    if (from === 0 && expression !== undefined && !this.expressionBreaks.has(expression)) {
      // The first failing step is the first break: no need to run the whole replay for it.
      const tracker = this.newTracker(0, 1);
      const error = await this.detect(expression, tracker, 0);
      const [broke] = tracker.result().breaks;
      return [error, broke].filter((m) => m !== undefined).sort((a, b) => a.index - b.index)[0];
    }
    const firstFrom = <T extends Mark>(marks: T[]) => marks[partitionPoint(marks.length, (i) => marks[i].index < from)];
    const list = await this.breaksOf(expression);
    const found = [firstFrom(list.breaks), firstFrom(this.errors)].filter((m) => m !== undefined).sort((a, b) => a.index - b.index)[0];
    // Past the marks kept, the first one is found by running on (from the start: breaks need the verdicts before).
    const unknownAfter = Math.min(
      list.truncated ? (list.breaks.at(-1)?.index ?? -1) : Infinity,
      this.truncated.errors ? (this.errors.at(-1)?.index ?? -1) : Infinity,
    );
    if (found && found.index <= unknownAfter) return found;
    if (unknownAfter === Infinity) return found;
    const tracker = this.newTracker(from, 1);
    const error = await this.detect(expression, tracker, from, found?.index);
    const [broke] = tracker.result().breaks;
    return [error, broke, found].filter((m) => m !== undefined).sort((a, b) => a.index - b.index)[0];
  }

  /**
   * One pass from the start, recording each step's verdict (the projection's invariant, or
   * `expression`) in `tracker`, to the end or until the tracker is full. With `firstErrorFrom`
   * the pass stops at the first handler error at or after that step (returned), or before step
   * `end`.
   */
  private async detect(
    expression: string | undefined,
    tracker: BreakTracker,
    firstErrorFrom?: number,
    end = this.length,
  ): Promise<Mark | undefined> {
    const conditions = this.conditions(expression === undefined ? [] : [expression]);
    const test = expression === undefined ? undefined : conditions.get(expression);
    if (test instanceof Error) throw test;
    const start = this.keyframes[0];
    let state = thaw(start.state);
    let error: Mark | undefined;
    await this.walkWith(conditions, start, (event, index) => {
      if (index >= end || index >= this.length) return false;
      const before = test?.usesBefore ? thaw(freeze(state)) : state;
      const applied = this.apply(state, event, index);
      state = applied.state;
      if (firstErrorFrom !== undefined && index >= firstErrorFrom && applied.error !== undefined) {
        error = { index, message: applied.error };
        return false;
      }
      let failure: string | undefined;
      if (test) {
        const verdict = this.evaluate(test, state, event, before, index);
        if ('error' in verdict) failure = `${expression} threw: ${verdict.error}`;
        else if (!verdict.holds) failure = `${expression} is false`;
      } else {
        failure = this.invariant(state, event, index);
      }
      this.verdict(tracker, event, index, failure);
      return !tracker.full;
    });
    return error;
  }

  /**
   * Runs steps `from`…`to - 1` as live steps (live.ts): the debugger's breakpoints in user code
   * pause in them. Ends after the first step in which one hit (or whose run the debugger asked to
   * end) and returns it; undefined when every step ran. Earlier steps are rebuilt from a keyframe
   * without pausing.
   */
  async runLive(from: number, to: number): Promise<number | undefined> {
    this.checkRange(from, this.length);
    const end = Math.min(to, this.length);
    if (from >= end) return undefined;
    const start = this.nearest(from);
    let state = thaw(start.state);
    let stopped: number | undefined;
    liveRun.stop = false;
    await this.walk(
      start,
      (event, index) => {
        if (index >= end) return false;
        if (index < from) {
          state = this.apply(state, event, index).state;
          return true;
        }
        Object.assign(liveRun, { live: true, index, event });
        try {
          state = this.apply(state, event, index).state;
          this.invariant(state, event, index);
        } finally {
          Object.assign(liveRun, { live: false, event: undefined });
        }
        if (!liveRun.stop) return true;
        stopped = index;
        return false;
      },
      end,
    );
    liveRun.stop = false;
    return stopped;
  }

  /** The state after the last step. */
  async final(): Promise<unknown> {
    return this.stateAfter(this.length);
  }

  async close(): Promise<void> {
    this.engine.dispose?.();
    await this.source.close();
  }
}
