/**
 * The pieces under the agent tools: sealed expressions (no host object reaches them, whatever
 * they try), answers cut to size with notes, arguments checked against the schemas, and
 * package.json's language-model tools the same as the tools' table.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventscopeError } from '../src/core/errors';
import { compileSealed } from '../src/core/sealed';
import { compileWhere } from '../src/core/where';
import { withoutPassword } from '../src/mcp/server';
import { checkArguments } from '../src/core/tools/schema';
import { answerBytes, Cuts, DEFAULT_LIMITS, fitItems, shapeValue } from '../src/core/tools/shape';
import { lmToolName, TOOLS } from '../src/core/tools/tools';

const sealed = (expression: string) => compileSealed(expression, ['state', 'event', 'before']);

describe('agent tools: sealed expressions', () => {
  class Account {
    constructor(
      public balance: number,
      public owner: { name: string },
    ) {}
    close() {
      return 'closed';
    }
  }
  const state = () => ({
    accounts: [new Account(-5, { name: 'Dana' }), new Account(10, { name: 'Bob' })],
    byId: new Map([['a', { n: 1 }]]),
    tags: new Set(['x', 'y']),
    at: new Date(Date.UTC(2026, 0, 2)),
    big: 12345678901234567890n,
  });

  it('reads the state, event and before as JavaScript does: fields, arrays, Maps, Sets, Dates, bigints', () => {
    assert.equal(sealed('state.accounts.filter((a) => a.balance < 0).map((a) => a.owner.name).join()')(state(), {}, {}), 'Dana');
    assert.equal(sealed('state.byId.get("a").n + state.tags.size + state.at.getUTCDate()')(state(), {}, {}), 5);
    assert.equal(sealed('state.big > 10n ** 19n && typeof state.big')(state(), {}, {}), 'bigint');
    assert.equal(sealed('JSON.stringify(state.accounts[1])')(state(), {}, {}), '{"balance":10,"owner":{"name":"Bob"}}');
    assert.equal(
      sealed('Object.keys(event.data).join() + Array.isArray(state.accounts) + state.accounts.length')(
        state(),
        { data: { a: 1, b: 2 } },
        {},
      ),
      'a,btrue2',
    );
    assert.equal(sealed('before.balance - state.balance')({ balance: 3 }, {}, { balance: 10 }), 7);
    assert.equal(sealed('typeof state.accounts[0].close')(state(), {}, {}), 'undefined', 'functions are left out');
  });

  it('cannot reach the host: no process, require, constructors of host objects, stack frames or code from strings', () => {
    const tries: [string, RegExp][] = [
      ['process.exit(1)', /process is not defined/],
      ['require("fs")', /require is not defined/],
      ['state.constructor.constructor("return process")()', /Code generation from strings/],
      ['state.accounts.constructor.constructor("return process")()', /Code generation from strings/],
      ['state.byId.get("a").constructor.constructor("return process")()', /Code generation from strings/],
      ['Object.getPrototypeOf(state.accounts[0]).constructor.constructor("return this")()', /Code generation from strings/],
      ['eval("1")', /Code generation from strings/],
      [
        '(Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getThis()), new Error().stack)',
        /read only property 'prepareStackTrace'/,
      ],
      ['(state.balance = 1)', /'set' on proxy/],
      ['delete state.accounts', /'deleteProperty' on proxy/],
    ];
    for (const [expression, error] of tries) assert.throws(() => sealed(expression)(state(), {}, {}), error, expression);
    assert.throws(() => sealed('import("fs")'), /import is not available/);
    assert.equal(sealed('typeof globalThis.process + typeof setTimeout + typeof fetch')(state(), {}, {}), 'undefinedundefinedundefined');
  });

  it('hands host values to nothing but its views, even when the built-ins are replaced', () => {
    // The first call replaces the built-ins the views could use with ones that keep their
    // arguments; the second reads the state through them and tries what it kept.
    const f = compileSealed(
      `globalThis.calls = (globalThis.calls || 0) + 1,
      globalThis.calls === 1
        ? (globalThis.leak = [], globalThis.keep = (a) => { for (let i = 0; i < a.length; i++) globalThis.leak[globalThis.leak.length] = a[i]; },
           ["keys", "entries", "values", "getPrototypeOf", "getOwnPropertyDescriptor"].forEach((n) => { Object[n] = (...a) => (globalThis.keep(a), []); }),
           ["apply", "ownKeys", "get", "getOwnPropertyDescriptor", "has"].forEach((n) => { Reflect[n] = (...a) => (globalThis.keep(a), []); }),
           Array.prototype.push = function (...a) { globalThis.keep(a); return 0; }, "replaced")
        : (JSON.stringify(state), Object.keys(state), state.a.b, globalThis.leak.some((x) => { try { return x !== null && typeof x === "object" && x.constructor.constructor("return 1")() === 1; } catch { return false; } }) ? "leaked" : "views only")`,
      ['state'],
    );
    assert.equal(f({ a: { b: 1 } }), 'replaced');
    assert.equal(f({ a: { b: 2 } }), 'views only');
  });

  it('no host error reaches an expression: not from a stack overflow in a host Proxy, nor from import()', () => {
    // At each level of a recursion to the stack's limit, a read of a host Proxy (whose own trap then
    // overflows in the host): every error caught is the context's (its Function refuses strings).
    const probe = `(() => {
      const escaped = [];
      const check = (e) => { try { if (e && typeof e === "object" && e.constructor.constructor("return 1")() === 1) escaped.push(String(e)); } catch (_) {} };
      const r = (n) => { try { r(n + 1); } catch (e) { check(e); } try { Object.keys(state.a); state.a.b; } catch (e) { check(e); } };
      for (let k = 0; k < 3; k++) r(0);
      return escaped.length ? escaped.join() : "none";
    })()`;
    const handler = {
      get: (t: object, k: string | symbol, r: unknown) => Reflect.get(t, k, r),
      ownKeys: (t: object) => Reflect.ownKeys(t),
    };
    assert.equal(compileSealed(probe, ['state'])({ a: new Proxy({ b: 1 }, handler) }), 'none');
    for (const expression of ['import/**/("fs")', 'import("fs")', 'event.data.import']) {
      assert.throws(() => sealed(expression), /import is not available/, expression);
      assert.throws(() => compileWhere(expression), /import is not available/, expression);
    }
  });

  it("what an expression throws reaches the host as text: its getters and toString run sealed, and can't make the host throw", () => {
    const nasty = '(() => { throw { get name() { throw { toString() { throw 1; } }; }, get message() { throw 2; } }; })()';
    assert.throws(
      () => sealed(nasty)({}, {}, {}),
      (error: Error) => error instanceof EventscopeError && typeof error.message === 'string',
    );
    assert.throws(() => sealed('(() => { throw { toString() { throw { toString() { throw 1; } }; } }; })()')({}, {}, {}), EventscopeError);
    const where = compileWhere('(() => { throw { get name() { throw new Error("inner"); } }; })()');
    const { matches, errors } = where.select([
      { streamId: 's', revision: 1, position: 1, type: 'T', timestamp: null, data: {}, metadata: {}, kinds: {} },
    ]);
    assert.deepEqual(matches, [false]);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].cause, undefined, 'no value of the expression kept');
    // Objects come back as true, never as the context's object.
    assert.equal(sealed('({ valueOf() { return 0; } })')({}, {}, {}), true);
  });

  it('a replaced Error does not unlock stack frames', () => {
    assert.throws(() => sealed('(globalThis.Error = { prepareStackTrace: () => 1 }, 1)')({}, {}, {}), /read only property 'Error'/);
  });

  it('a host getter that throws is an error of the sealed context, not the host error', () => {
    const host = {
      get boom(): number {
        throw new Error('host boom');
      },
    };
    assert.throws(
      () =>
        sealed('(() => { try { return state.boom; } catch (e) { return e.constructor.constructor("return process")(); } })()')(
          host,
          {},
          {},
        ),
      /Code generation from strings/,
    );
  });
});

describe('agent tools: answers within their budget', () => {
  it('cuts long strings, arrays, wide objects and deep values, each cut noted once with how to get it whole', () => {
    const cuts = new Cuts();
    const value = {
      text: 'x'.repeat(1000),
      list: Array.from({ length: 50 }, (_, i) => i),
      wide: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i])),
      deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } },
      big: 2n ** 70n,
      nan: Number.NaN,
    };
    const shaped = shapeValue(value, cuts, 'show_event gives it whole') as Record<string, unknown>;
    assert.equal((shaped.text as string).length, DEFAULT_LIMITS.string + '…(700 more characters)'.length);
    assert.equal((shaped.list as unknown[]).length, DEFAULT_LIMITS.items + 1);
    assert.equal((shaped.list as unknown[]).at(-1), '…(30 more items)');
    assert.equal(Object.keys(shaped.wide as object).length, DEFAULT_LIMITS.keys + 1);
    assert.equal(JSON.stringify(shaped.deep).includes('"…"'), true);
    assert.equal(shaped.big, (2n ** 70n).toString());
    assert.equal(shaped.nan, 'NaN');
    assert.equal(cuts.notes.length, 4);
    assert.ok(cuts.notes.every((n) => n.endsWith('show_event gives it whole.')));
  });

  it('fits a list to the budget: the longest prefix whose answer fits, at least one item', () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ i, text: 'y'.repeat(100) }));
    const { answer, kept } = fitItems(items, (xs) => ({ items: xs }), 20_000);
    assert.ok(answerBytes(answer) <= 20_000);
    assert.ok(answerBytes({ items: items.slice(0, kept + 1) }) > 20_000, 'one more would not fit');
    assert.equal(fitItems([{ text: 'z'.repeat(50_000) }], (xs) => ({ items: xs }), 20_000).kept, 1);
  });
});

describe('agent tools: arguments and the VS Code contributions', () => {
  const find = (name: string) => TOOLS.find((t) => t.name === name)!;

  it('names a store without its password, in the URL or its query', () => {
    assert.equal(withoutPassword('postgres://me:secret@db:5432/app?app=bank'), 'postgres://me@db:5432/app?app=bank');
    assert.equal(withoutPassword('postgres://db/app?password=secret&app=bank'), 'postgres://db/app?app=bank');
    assert.equal(withoutPassword('/a/b.sqlite'), '/a/b.sqlite');
  });

  it('checks arguments against the input schema with one sentence each', () => {
    const schema = find('read_stream').inputSchema;
    assert.throws(
      () => checkArguments('read_stream', schema, {}),
      /^Error: read_stream needs the argument "streamId"\.$|needs the argument "streamId"/,
    );
    assert.throws(
      () => checkArguments('read_stream', schema, { streamId: 'a', limit: 1.5 }),
      /"limit" must be a whole number \(got number\)/,
    );
    assert.throws(() => checkArguments('read_stream', schema, { streamId: 'a', limit: 0 }), /"limit" must be at least 1/);
    assert.throws(() => checkArguments('read_stream', schema, { streamId: 'a', limit: 201 }), /"limit" must be at most 200/);
    assert.throws(
      () => checkArguments('read_stream', schema, { streamId: 'a', colour: 'red' }),
      /has no argument "colour"; its arguments are store, streamId/,
    );
    assert.throws(() => checkArguments('read_log', find('read_log').inputSchema, { types: ['a', 1] }), /"types" must be a list of strings/);
    assert.throws(() => checkArguments('read_log', find('read_log').inputSchema, []), /takes an object of arguments/);
    assert.deepEqual(checkArguments('read_stream', schema, { streamId: 'a', limit: 5 }), { streamId: 'a', limit: 5 });
  });

  it("package.json contributes each tool as a language-model tool with the table's name, description and input schema", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      contributes: { languageModelTools: { name: string; modelDescription: string; inputSchema: unknown; toolReferenceName: string }[] };
    };
    const contributed = pkg.contributes.languageModelTools;
    assert.deepEqual(
      contributed.map((t) => t.name),
      TOOLS.map((t) => lmToolName(t.name)),
    );
    for (const tool of TOOLS) {
      const entry = contributed.find((t) => t.name === lmToolName(tool.name))!;
      assert.equal(entry.modelDescription, tool.description, tool.name);
      assert.deepEqual(entry.inputSchema, tool.inputSchema, tool.name);
      assert.match(entry.toolReferenceName, /^eventscope[A-Z]\w+$/);
    }
  });
});
