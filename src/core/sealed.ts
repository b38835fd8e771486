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

/** A new sealed context: the built-ins, no host objects, no code from strings, no pending promises after a call. */
export function sealedContext(name: string): vm.Context {
  const context = vm.createContext(Object.create(null) as object, {
    name,
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  // V8 hands `Error.prepareStackTrace` the frames of a stack, the host's too, whose receivers
  // are host objects: it stays unset.
  vm.runInContext(
    'Object.defineProperty(Error, "prepareStackTrace", { value: undefined, writable: false, configurable: false });',
    context,
  );
  return context;
}

/** Refuses what a sealed context cannot run: `import()` would load a module (and its promise outlive the call). */
export function checkSealable(expression: string): string | undefined {
  return /\bimport\s*[(.]/.test(expression) ? 'import is not available here' : undefined;
}

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
  const StringCtor = String;
  function hostFailed(error) {
    let message = "";
    try { message = StringCtor(error && error.message); } catch (_) { message = "an error"; }
    return new TypeErrorCtor(message);
  }
  function readOnly() { return false; }
  function makeView(views) {
    function view(value) {
      if (typeof value === "function") return undefined;
      if (value === null || typeof value !== "object") return value;
      const known = apply(wmGet, views, [value]);
      if (known !== undefined) return known;
      let made;
      try {
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
        } else {
          const host = value;
          const target = isArray(host) ? [] : {};
          made = new ProxyCtor(target, {
            get(t, key, receiver) {
              if (typeof key === "symbol" || !apply(hasOwn, host, [key])) return get(t, key, receiver);
              try { return view(host[key]); } catch (error) { throw hostFailed(error); }
            },
            has(t, key) {
              try { return typeof key !== "symbol" && apply(hasOwn, host, [key]) ? true : key in t; } catch (error) { throw hostFailed(error); }
            },
            ownKeys(t) {
              let keys;
              try { keys = ownKeys(host); } catch (error) { throw hostFailed(error); }
              const out = [];
              for (let i = 0; i < keys.length; i++) if (typeof keys[i] === "string") out[out.length] = keys[i];
              return out;
            },
            getOwnPropertyDescriptor(t, key) {
              if (typeof key === "symbol") return undefined;
              let d;
              try { d = getDescriptor(host, key); } catch (error) { throw hostFailed(error); }
              if (d === undefined) return undefined;
              if (key === "length" && isArray(host)) return { value: host.length, writable: true, enumerable: false, configurable: false };
              return { value: "value" in d ? view(d.value) : undefined, writable: false, enumerable: !!d.enumerable, configurable: true };
            },
            set: readOnly, defineProperty: readOnly, deleteProperty: readOnly, setPrototypeOf: readOnly, preventExtensions: readOnly,
          });
        }
      } catch (error) {
        throw hostFailed(error);
      }
      apply(wmSet, views, [value, made]);
      return made;
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
 * A JavaScript expression as a sealed function of `names` (strict mode): each call sees its
 * arguments through read-only views (`VIEWS`), and the result is the context's value (a boolean
 * is all callers take from it). A sentence (EventscopeError) when it does not compile.
 */
export function compileSealed(expression: string, names: string[], what = 'expression'): (...values: unknown[]) => unknown {
  const refuse = (why: string, cause?: unknown) =>
    new EventscopeError(`The ${what} "${expression}" is not a JavaScript expression: ${why}.`, { cause });
  const unsealable = checkSealable(expression);
  if (unsealable) throw refuse(unsealable);
  const context = sealedContext(what);
  let run: (values: unknown[]) => unknown;
  try {
    // Compiled on its own first: a syntax error names the expression, not the wrapper.
    new vm.Script(`(${expression}\n)`, { filename: what });
    run = new vm.Script(
      `(function (viewsOf) {
        const test = function (${names.join(', ')}) { "use strict"; return (${expression}\n); };
        return function (values) { "use strict"; const views = viewsOf(values); return test(${names.map((_, i) => `views[${i}]`).join(', ')}); };
      })(${VIEWS})`,
      { filename: what },
    ).runInContext(context, { timeout: 1000 }) as (values: unknown[]) => unknown;
  } catch (error) {
    throw refuse(messageOf(error), error);
  }
  return (...values) => run(values);
}
