/**
 * `where` expressions: a JavaScript expression over `event` (`event.data.amount > 1000`,
 * `event.type.endsWith("Credited") && event.streamId.startsWith("8b79")`) that picks events, typed
 * by a user (the CLI's `log --where`, the tree's filter) or given by an agent.
 *
 * Sealed off (core/sealed.ts): the expression runs in a context of its own that has JavaScript's
 * built-ins and nothing else. The events go in as JSON text, a page at a time, and are parsed
 * inside that context, so no object of the host is within reach. A call is cut off
 * after its time (an endless loop stops there with an error). The result is taken as JavaScript
 * takes a condition (truthy), but a promise is no match.
 */

import vm from 'node:vm';
import { EventscopeError } from './errors';
import { eventToJSON, type RecordedEvent } from './events';
import { stringifyExact } from './json/exact';
import { compileInSealedContext, SEALED_DESCRIBE } from './sealed';

export interface WhereFilter {
  readonly expression: string;
  /**
   * Which of the events the expression holds for, in one call into the sealed context (a page at
   * a time: a call costs far more than an evaluation). An event on which the expression throws is
   * `false`, its error in `errors`.
   */
  select(events: readonly RecordedEvent[]): { matches: boolean[]; errors: WhereError[] };
}

/**
 * The `where` expression in a filter text: what follows `where ` (`where event.data.amount > 100`),
 * or the whole text when it starts with `event.` or `event[`; undefined for a plain text filter.
 */
export function whereOf(text: string): string | undefined {
  const t = text.trim();
  const prefixed = /^where\s+(.+)$/is.exec(t);
  if (prefixed) return prefixed[1];
  return /^!?\(?\s*event\s*[.[]/.test(t) ? t : undefined;
}

/** The expression threw on an event. */
export class WhereError extends EventscopeError {}

/** The time one call (a page of events) may take. */
const DEFAULT_TIMEOUT_MS = 2000;

/** Compiles a `where` expression; a sentence (EventscopeError) when it is not one. */
export function compileWhere(expression: string, timeoutMs = DEFAULT_TIMEOUT_MS): WhereFilter {
  // Only `event` (and the built-ins) is in the expression's scope. What it throws is described
  // there (describe: its getters run inside, guarded), so no value of it reaches the host.
  const { context } = compileInSealedContext(
    expression,
    'where expression',
    ['event'],
    (test) => `const describe = ${SEALED_DESCRIBE};
      const test = ${test};
      Object.defineProperty(globalThis, "select", { writable: false, configurable: false, value: function (json) {
        "use strict";
        try {
          const events = JSON.parse(json);
          const matches = [];
          const errors = [];
          for (let i = 0; i < events.length; i++) {
            try {
              const result = test(events[i]);
              const thenable = result !== null && typeof result === "object" && typeof result.then === "function";
              if (thenable) result.then(undefined, () => undefined);
              matches[matches.length] = !thenable && !!result;
            } catch (error) {
              matches[matches.length] = false;
              errors[errors.length] = [i, describe(error)];
            }
          }
          return JSON.stringify([matches, errors]);
        } catch (error) {
          return JSON.stringify({ failed: describe(error) });
        }
      } });`,
    timeoutMs,
  );
  const sandbox = context as { input?: string };
  // The events' JSON goes in through this property: a data property no expression can turn into a setter.
  Object.defineProperty(sandbox, 'input', { value: undefined, writable: true, enumerable: false, configurable: false });
  const call = new vm.Script('select(globalThis.input)', { filename: 'where' });
  /** One call into the context: the verdicts on these events (their JSON texts). */
  const selectBatch = (events: readonly RecordedEvent[], texts: string[]): { matches: boolean[]; errors: WhereError[] } => {
    sandbox.input = `[${texts.join(',')}]`;
    let result: unknown;
    const first = events[0];
    const failed = (why: string, cause?: unknown) =>
      new WhereError(`The where expression "${expression}" did not finish on the events from position ${first.position} on: ${why}.`, {
        cause,
      });
    try {
      result = call.runInContext(context, { timeout: timeoutMs * Math.max(1, Math.ceil(events.length / 1000)) });
    } catch (error) {
      // The host's errors only (a time-out); anything else is not a value to touch.
      throw error instanceof Error ? failed(error.message, error) : failed('it failed');
    } finally {
      sandbox.input = undefined;
    }
    if (typeof result !== 'string') throw failed('it failed');
    const parsed = JSON.parse(result) as [boolean[], [number, string][]] | { failed: string };
    if (!Array.isArray(parsed)) throw failed(parsed.failed);
    const [matches, failures] = parsed;
    const errors = failures.map(([i, message]) => {
      const e = events[i];
      return new WhereError(
        `The where expression "${expression}" failed on the event at position ${e.position} (${e.streamId} rev ${e.revision}): ${message}.`,
      );
    });
    return { matches, errors };
  };
  return {
    expression,
    select(events) {
      // Calls of up to BATCH_BYTES of JSON: a page of big events is not one string of gigabytes.
      const matches: boolean[] = [];
      const errors: WhereError[] = [];
      let batch: RecordedEvent[] = [];
      let texts: string[] = [];
      let bytes = 0;
      const flush = () => {
        if (!batch.length) return;
        const verdicts = selectBatch(batch, texts);
        matches.push(...verdicts.matches);
        errors.push(...verdicts.errors);
        [batch, texts, bytes] = [[], [], 0];
      };
      for (const event of events) {
        const text = stringifyExact(eventToJSON(event));
        if (bytes + text.length > BATCH_BYTES) flush();
        batch.push(event);
        texts.push(text);
        bytes += text.length;
      }
      flush();
      return { matches, errors };
    },
  };
}

/** The most JSON (characters) one call into the context takes. */
const BATCH_BYTES = 8_000_000;
