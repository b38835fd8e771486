/**
 * Sealed JavaScript: expressions typed by someone the host does not trust with its powers (an AI
 * agent's `where` and invariant expressions) run in a context of their own (node:vm) that has
 * JavaScript's built-ins and nothing else: no `process`, `require`, `import()`, timers, file system
 * or network, and no compiling of code from strings (`Function("…")`, `eval`).
 *
 * No object of the host may reach such code: its constructors lead back to the host's `Function`,
 * and so to `process`. Values go in as read-only views made inside the context (`compileSealed`)
 * or as JSON text parsed there (core/where.ts). The views take the built-ins they use before any
 * sealed code runs and hand host values to nothing but themselves, so code that replaces
 * `Reflect.apply` or `Array.prototype.push` still gets views only.
 */

import vm from 'node:vm';
import { EventscopeError, messageOf } from './errors';

let guarded = false;

/**
 * For the processes and workers that run sealed expressions (the replay and search workers, the
 * CLI, the MCP server; not a host with its own handling such as VS Code's extension host): a
 * promise of a sealed context that rejects unhandled (`Promise.reject(1)` in an expression) must
 * not end the process, as Node's default would. The host's own rejections go on as they would
 * without this (to the other listeners, else thrown); a context's reason is not touched.
 */
export function guardSealedRejections(): void {
  if (guarded) return;
  guarded = true;
  process.on('unhandledRejection', (reason, promise) => {
    if (!(promise instanceof Promise)) return; // another realm's: a sealed context's
    if (process.listenerCount('unhandledRejection') === 1) throw reason;
  });
}

/** A new sealed context: the built-ins, no host objects, no code from strings, no pending promises after a call. */
function sealedContext(name: string): vm.Context {
  const context = vm.createContext(Object.create(null) as object, {
    name,
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  // V8 hands `Error.prepareStackTrace` the frames of a stack, the host's too (names, files): it
  // stays unset, and `Error` stays the context's own (Node reads `globalThis.Error`).
  vm.runInContext(
    `Object.defineProperty(Error, "prepareStackTrace", { value: undefined, writable: false, configurable: false });
    Object.defineProperty(globalThis, "Error", { value: Error, writable: false, configurable: false });`,
    context,
  );
  return context;
}

/**
 * Refuses what a sealed context cannot run: `import()` would reach Node's module loader, whose
 * errors are the host's. Any `import` in the text is refused (comments can hide the call).
 */
function checkSealable(expression: string): string | undefined {
  return /\bimport\b/.test(expression)
    ? 'import is not available here (nor the word in a field name: write event.data["imp" + "ort"])'
    : undefined;
}

/**
 * In the context, before any sealed code: what an expression threw, as a message made there (its
 * getters and `toString` run inside, guarded), so that no value of the expression reaches the host.
 */
export const SEALED_DESCRIBE = String.raw`(function () {
  "use strict";
  const StringCtor = String;
  return function describe(error) {
    try {
      if (error !== null && (typeof error === "object" || typeof error === "function")) {
        let name = "", message = "";
        try { name = StringCtor(error.name); } catch (_) { name = "Error"; }
        try { message = StringCtor(error.message); } catch (_) { message = ""; }
        return typeof name === "string" && typeof message === "string" ? (message ? name + ": " + message : name) : "an error";
      }
      return StringCtor(error);
    } catch (_) {
      return "an error that cannot be shown";
    }
  };
})()`;

/**
 * The views, defined in the context before any sealed code: a host object is seen through a
 * read-only proxy over an empty object of the context (so the proxy's prototype, `constructor` and
 * methods are the context's), whose traps read the host object's own properties and answer with
 * views again, or primitives; functions are left out, Maps, Sets and Dates are copied (their
 * methods need their own kind of object). Lazy: an invariant that reads one field of a big state
 * costs one field, not a copy of the state. A host error is answered with a context error.
 */
const VIEWS = String.raw`(function () {
  "use strict";
  const apply = Reflect.apply, ownKeys = Reflect.ownKeys, getDescriptor = Reflect.getOwnPropertyDescriptor, get = Reflect.get;
  const isArray = Array.isArray, hasOwn = Object.prototype.hasOwnProperty, tag = Object.prototype.toString;
  const mapForEach = Map.prototype.forEach, setForEach = Set.prototype.forEach, getTime = Date.prototype.getTime;
  const mapSet = Map.prototype.set, setAdd = Set.prototype.add, wmGet = WeakMap.prototype.get, wmSet = WeakMap.prototype.set;
  const ProxyCtor = Proxy, MapCtor = Map, SetCtor = Set, DateCtor = Date, WeakMapCtor = WeakMap, TypeErrorCtor = TypeError;
  const StringCtor = String, typedArray = /^\[object (Big)?(Int|Uint|Float)\d+(Clamped)?Array\]$/, test = RegExp.prototype.test;
  // Whatever the host does fails as a TypeError of this context, its message a string made here.
  function hostFailed(error) {
    let message = "";
    try { message = StringCtor(error && error.message); } catch (_) { message = "a value of the host could not be read"; }
    return new TypeErrorCtor(typeof message === "string" ? message : "a value of the host could not be read");
  }
  function readOnly() { return false; }
  function makeView(views) {
    function view(value) {
      try {
        if (typeof value === "function") return undefined;
        if (value === null || typeof value !== "object") return value;
        const known = apply(wmGet, views, [value]);
        if (known !== undefined) return known;
        let made;
        const kind = apply(tag, value, []);
        if (kind === "[object Date]") made = new DateCtor(apply(getTime, value, []));
        else if (kind === "[object Map]") {
          made = new MapCtor();
          apply(wmSet, views, [value, made]);
          apply(mapForEach, value, [(v, k) => apply(mapSet, made, [view(k), view(v)])]);
        } else if (kind === "[object Set]") {
          made = new SetCtor();
          apply(wmSet, views, [value, made]);
          apply(setForEach, value, [(v) => apply(setAdd, made, [view(v)])]);
        } else if (apply(test, typedArray, [kind])) {
          // A Buffer or typed array: its numbers, as an array.
          made = [];
          const length = value.length;
          for (let i = 0; i < length; i++) made[i] = value[i];
        } else made = proxyOf(value, isArray(value) ? [] : {});
        apply(wmSet, views, [value, made]);
        return made;
      } catch (error) {
        throw hostFailed(error);
      }
    }
    function proxyOf(host, target) {
      // Every trap reads the host inside a try: a host error (a stack overflow in a host Proxy's
      // trap, a getter that throws) becomes this context's.
      return new ProxyCtor(target, {
        __proto__: null,
        get(t, key, receiver) {
          try {
            if (typeof key === "symbol" || !apply(hasOwn, host, [key])) return get(t, key, receiver);
            return view(host[key]);
          } catch (error) { throw hostFailed(error); }
        },
        has(t, key) {
          try { return (typeof key !== "symbol" && apply(hasOwn, host, [key])) || key in t; } catch (error) { throw hostFailed(error); }
        },
        ownKeys(t) {
          try {
            const keys = ownKeys(host);
            const out = [];
            for (let i = 0; i < keys.length; i++) if (typeof keys[i] === "string") out[out.length] = keys[i];
            return out;
          } catch (error) { throw hostFailed(error); }
        },
        getOwnPropertyDescriptor(t, key) {
          try {
            if (typeof key === "symbol") return undefined;
            const d = getDescriptor(host, key);
            if (d === undefined) return undefined;
            if (key === "length" && isArray(host)) return { __proto__: null, value: host.length, writable: true, enumerable: false, configurable: false };
            return { __proto__: null, value: "value" in d ? view(d.value) : undefined, writable: false, enumerable: !!d.enumerable, configurable: true };
          } catch (error) { throw hostFailed(error); }
        },
        set: readOnly, defineProperty: readOnly, deleteProperty: readOnly, setPrototypeOf: readOnly, preventExtensions: readOnly,
      });
    }
    return view;
  }
  return function (values) {
    const view = makeView(new WeakMapCtor());
    const out = [];
    for (let i = 0; i < values.length; i++) out[i] = view(values[i]);
    return out;
  };
})()`;

/**
 * Compiles an expression into a new sealed context: refuses what cannot be sealed, checks that it
 * parses as an expression (a syntax error names it, not a wrapper), then runs `wrapper(test)` there
 * — `test` is the source of a strict function of `names` returning the expression — and gives the
 * context and the wrapper's value. A sentence (EventscopeError) when any of that fails. The wrapper
 * runs no code of the expression: it only defines what the host calls.
 */
export function compileInSealedContext(
  expression: string,
  what: string,
  names: string[],
  wrapper: (test: string) => string,
  timeoutMs = 1000,
): { context: vm.Context; value: unknown } {
  const refuse = (why: string, cause?: unknown) =>
    new EventscopeError(`The ${what} "${expression}" is not a JavaScript expression: ${why}.`, { cause });
  const unsealable = checkSealable(expression);
  if (unsealable) throw refuse(unsealable);
  const context = sealedContext(what);
  try {
    new vm.Script(`(${expression}\n)`, { filename: what });
    const test = `function (${names.join(', ')}) { "use strict"; return (${expression}\n); }`;
    return { context, value: new vm.Script(wrapper(test), { filename: what }).runInContext(context, { timeout: timeoutMs }) };
  } catch (error) {
    throw refuse(messageOf(error), error);
  }
}

/** What a sealed call gives the host: a primitive, "an object" (truthy), or what it threw, as text. */
type SealedOutcome = { threw: false; value: unknown } | { threw: true; message: string };

/**
 * A JavaScript expression as a sealed function of `names` (strict mode): each call sees its
 * arguments through read-only views (`VIEWS`). It returns the expression's value when that is a
 * primitive, `true` for an object (no value of the context reaches the host), and throws an
 * EventscopeError with what the expression threw. A sentence (EventscopeError) when it does not
 * compile. No time limit of its own: callers run it under one (the replay worker's watchdog).
 */
export function compileSealed(expression: string, names: string[], what = 'expression'): (...values: unknown[]) => unknown {
  const run = compileInSealedContext(
    expression,
    what,
    names,
    (test) => `(function (viewsOf, describe) {
        const test = ${test};
        return function (values) {
          "use strict";
          try {
            const views = viewsOf(values);
            const value = test(${names.map((_, i) => `views[${i}]`).join(', ')});
            const primitive = value === null || (typeof value !== "object" && typeof value !== "function");
            return { __proto__: null, threw: false, value: primitive ? value : true };
          } catch (error) {
            return { __proto__: null, threw: true, message: describe(error) };
          }
        };
      })(${VIEWS}, ${SEALED_DESCRIBE})`,
  ).value as (values: unknown[]) => SealedOutcome;
  return (...values) => {
    let outcome: SealedOutcome;
    try {
      outcome = run(values);
    } catch (error) {
      // Only the context's own failures get here (a stack overflow in the wrapper): not a value to touch.
      throw new EventscopeError(error instanceof Error ? error.message : `The ${what} failed.`);
    }
    if (outcome.threw) throw new EventscopeError(typeof outcome.message === 'string' ? outcome.message : `The ${what} failed.`);
    return outcome.value;
  };
}
