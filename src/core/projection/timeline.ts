/**
 * A replay as a pure fold over a list of events, with time travel: keyframes (state copies) every
 * K steps, and seeking re-runs from the nearest keyframe, so memory stays bounded and any step is
 * reachable fast. Step records carry the structural diff of what the event changed.
 */

import { create, type Delta } from 'jsondiffpatch';
import { messageOf } from '../errors';
import type { RecordedEvent } from '../events';
import { applyEvent, checkInvariant, HandlerTable, type Projection } from './projection';

export interface StepRecord {
  index: number;
  event: RecordedEvent;
  stateBefore: unknown;
  stateAfter: unknown;
  /** jsondiffpatch delta from stateBefore to stateAfter (undefined: nothing changed). */
  changes: Delta;
  /** The handler threw: the state stays as before this event. */
  error?: string;
  /** The invariant fails after this event. */
  invariantFailure?: string;
  elapsedMs: number;
}

// Array items with an `id` are matched by it (moves, not remove + add); others by position.
const differ = create({ objectHash: (item: object, index?: number) => String((item as { id?: unknown }).id ?? `$$index:${index}`) });

function copy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

export class ReplayTimeline {
  private readonly handlers: HandlerTable;
  /** keyframes[k] = the state before step k * interval. */
  private readonly keyframes: unknown[] = [];

  constructor(
    private readonly projection: Projection,
    readonly events: RecordedEvent[],
    readonly keyframeInterval = 256,
  ) {
    this.handlers = new HandlerTable(projection);
    let state: unknown = copy(projection.init?.() ?? {});
    for (let i = 0; i < events.length; i++) {
      if (i % keyframeInterval === 0) this.keyframes.push(copy(state));
      state = this.apply(state, i).state;
    }
    this.keyframes.push(copy(state));
  }

  get length(): number {
    return this.events.length;
  }

  /**
   * Applies events[index]. The fast paths (the first run, seeking, searching) let handlers mutate
   * the state they are given; a throwing handler's partial changes then stay, as they would in
   * the application. step() hands over a copy, so its stateBefore stays intact.
   */
  private apply(state: unknown, index: number): { state: unknown; error?: string } {
    try {
      return { state: applyEvent(this.projection, this.handlers, state, this.events[index]) };
    } catch (error) {
      return { state, error: messageOf(error) };
    }
  }

  /** The state after `count` events (0 = the initial state), re-run from the nearest keyframe. */
  stateAfter(count: number): unknown {
    if (count < 0 || count > this.events.length) throw new RangeError(`no step ${count} (0..${this.events.length})`);
    const k = Math.min(Math.floor(count / this.keyframeInterval), this.keyframes.length - 1);
    let state = copy(this.keyframes[k]);
    for (let i = k * this.keyframeInterval; i < count; i++) state = this.apply(state, i).state;
    return state;
  }

  /** The record of step `index` (applying events[index]). */
  step(index: number): StepRecord {
    const stateBefore = this.stateAfter(index);
    const started = performance.now();
    const { state: stateAfter, error } = this.apply(copy(stateBefore), index);
    const elapsedMs = performance.now() - started;
    let invariantFailure: string | undefined;
    try {
      invariantFailure = checkInvariant(this.projection, stateAfter, this.events[index]);
    } catch (e) {
      invariantFailure = `the invariant threw: ${messageOf(e)}`;
    }
    return {
      index,
      event: this.events[index],
      stateBefore,
      stateAfter,
      changes: differ.diff(stateBefore, stateAfter),
      ...(error ? { error } : {}),
      ...(invariantFailure ? { invariantFailure } : {}),
      elapsedMs,
    };
  }

  /** The first step after which the invariant fails (or a handler throws), scanning forward. */
  firstFailure(from = 0): StepRecord | undefined {
    let state = this.stateAfter(from);
    for (let i = from; i < this.events.length; i++) {
      const { state: next, error } = this.apply(state, i);
      let failure: string | undefined;
      try {
        failure = checkInvariant(this.projection, next, this.events[i]);
      } catch (e) {
        failure = messageOf(e);
      }
      if (error || failure) return this.step(i);
      state = next;
    }
    return undefined;
  }
}
