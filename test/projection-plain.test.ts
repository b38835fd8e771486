// Projection files without esbuild (an install whose platform package lacks its native binary):
// bundleProjection falls back to the plain loader for JavaScript and refuses TypeScript clearly.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../src/core/events';
import { bundleProjection, loadEngine, type Esbuild } from '../src/core/projection/load';
import { toCommonJs } from '../src/core/projection/plain';

const MISSING =
  'The package "@esbuild/linux-x64" could not be found, and is needed by esbuild.\n\nIf you are installing esbuild with npm, make sure…';
/** esbuild as an install without its platform package has it: requiring works, building throws. */
const missingBinary = async () => ({ build: () => Promise.reject(new Error(MISSING)) }) as unknown as Esbuild;
/** esbuild whose binary cannot run (wrong architecture, no exec permission). */
const brokenBinary = async () =>
  ({ build: () => Promise.reject(new Error('The service was stopped: spawn /x/esbuild EACCES')) }) as unknown as Esbuild;

function event(type: string, data: Record<string, unknown> = {}, streamId = 's-1'): RecordedEvent {
  return { streamId, revision: 1, position: 1, type, timestamp: null, data, metadata: {}, kinds: {} };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('projections without esbuild (the plain loader)', () => {
  let dir: string;
  let n = 0;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), `eventscope-plain-${n++}-`));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string) => {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const load = async (path: string, esbuild = missingBinary) => {
    const bundle = await bundleProjection(path, esbuild);
    return { bundle, ...loadEngine({ kind: 'bundle', bundle }, require) };
  };
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (error) {
      return error;
    }
    assert.fail('expected a throw');
  };

  it('runs an ES module with local imports of every form, and lists them as its inputs', async () => {
    file(
      'lib/money.mjs',
      "export const cents = (s) => Math.round(Number(s) * 100);\nexport default function twice(x) { return x * 2; }\nexport * from './more.js';\n",
    );
    file(
      'lib/more.js',
      'export const three = 3;\nexport class Box { constructor(v) { this.v = v; } }\nexport function id(x) { return x; }\n',
    );
    file('lib/names.cjs', "exports.short = (id) => id.slice(0, 3);\nexports.kind = require('./kind.json').kind;\n");
    file('lib/kind.json', '{ "kind": "json" }');
    file(
      'lib/index.js',
      "export { cents as toCents, default as double } from './money.mjs';\nexport * as more from './more.js';\nconst hidden = 1;\nexport { hidden as visible };\n",
    );
    const main = file(
      'p.js',
      [
        "import twice, * as money from './lib/money.mjs';",
        "import { toCents, double, more, visible } from './lib/index.js';",
        'import {',
        '  short,',
        '  kind as what,',
        "} from './lib/names.cjs';",
        "import data from './lib/kind.json' with { type: 'json' };",
        "import { sep } from 'node:path';",
        'export default {',
        "  name: 'all forms',",
        '  init: () => ({ total: 0 }),',
        '  when: {',
        '    Credited: (s, e) => {',
        '      s.total += money.cents(e.data.amount) + toCents(e.data.amount);',
        '      s.rest = [twice(1), double(2), money.three, more.three, new more.Box(4).v, more.id(5), visible, short(e.streamId), what, data.kind, sep, import.meta.url.startsWith("file:")];',
        '    },',
        '  },',
        '};',
      ].join('\n'),
    );
    const { bundle, engine } = await load(main);
    assert.deepEqual(bundle.plain, { reason: MISSING.split('\n')[0].replace(/\.$/, '') });
    assert.deepEqual(bundle.inputs.map((input) => input.slice(dir.length + 1).replace(/\\/g, '/')).sort(), [
      'lib/index.js',
      'lib/kind.json',
      'lib/money.mjs',
      'lib/more.js',
      'lib/names.cjs',
      'p.js',
    ]);
    assert.equal(engine.name, 'all forms');
    const state = engine.apply(engine.init(), event('Credited', { amount: '1.25' }, 'acc-1'), undefined);
    assert.deepEqual(state, { total: 250, rest: [2, 4, 3, 3, 4, 5, 1, 'acc', 'json', 'json', join('a', 'b')[1], true] });
  });

  it("keeps the user's lines (and columns, past the import lines) in errors and handler locations", async () => {
    file('helper.mjs', "export function check(n) {\n  if (n < 0) throw new RangeError('negative');\n}\n");
    const main = file(
      'lines.js',
      [
        "import { check } from './helper.mjs';", // 1
        'export default {', // 2
        '  when: {', // 3
        '    Bad: (s, e) => { s.n = e.data.missing.x; },', // 4
        '    Checked: (s, e) => { check(e.data.n); },', // 5
        '  },', // 6
        '};', // 7
      ].join('\n'),
    );
    const { engine, locator } = await load(main);
    const bad = thrown(() => engine.apply({}, event('Bad'), undefined));
    const column = '    Bad: (s, e) => { s.n = e.data.missing.x; },'.indexOf('.x') + 2;
    assert.match(locator!.describe(bad), new RegExp(`^TypeError: .* \\(at ${escape(main)}:4:${column}\\)$`));
    const checked = thrown(() => engine.apply({}, event('Checked', { n: -1 }), undefined));
    assert.match(locator!.describe(checked), new RegExp(`^RangeError: negative \\(at ${escape(join(dir, 'helper.mjs'))}:2:\\d+\\)$`));
    const handler = engine.userFunctions.find((f) => f.name === 'the Bad handler')!;
    assert.equal(locator!.ofFunction(handler.fn), `${main}:4:10`);
  });

  it('runs CommonJS, KurrentDB scripts and named-export modules; reads imported files afresh on every load', async () => {
    file('rate.cjs', 'module.exports = 2;\n');
    const cjs = file(
      'p.cjs',
      "const rate = require('./rate.cjs');\nmodule.exports = { when: { A: (s) => ({ n: (s.n ?? 0) + rate }) } };\n",
    );
    assert.deepEqual((await load(cjs)).engine.apply({}, event('A'), undefined), { n: 2 });
    file('rate.cjs', 'module.exports = 5;\n');
    assert.deepEqual((await load(cjs)).engine.apply({}, event('A'), undefined), { n: 5 }, 'the changed import, not a cached one');

    const kurrent = file('k.js', "fromCategory('Account').when({ $init: () => ({ n: 0 }), A: (s) => { s.n += 1; } });\n");
    assert.equal((await load(kurrent)).engine.kind, 'kurrentdb');

    const named = file(
      'named.mjs',
      "export const name = 'named';\nexport const init = () => ({ n: 1 }), when = { A: (s) => { s.n++; } };\n",
    );
    const { engine } = await load(named);
    assert.equal(engine.name, 'named');
    assert.deepEqual(engine.apply(engine.init(), event('A'), undefined), { n: 2 });
  });

  it('falls back when the binary cannot run, too; an esbuild that works is still used', async () => {
    const main = file('p.mjs', 'export default { when: { A: () => ({ ok: true }) } };\n');
    assert.ok((await bundleProjection(main, brokenBinary)).plain);
    assert.equal((await bundleProjection(main)).plain, undefined);
  });

  it('says what is missing for TypeScript, and where a syntax error or a missing file is', async () => {
    const ts = file('p.ts', 'export default { when: {} } as const;\n');
    await assert.rejects(
      bundleProjection(ts, missingBinary),
      new RegExp(
        `^EventscopeError: ${escape(ts)}: TypeScript projections need esbuild's native binary for ${process.platform}-${process.arch}, which this install lacks \\(The package "@esbuild/linux-x64" could not be found, and is needed by esbuild\\); write the projection in JavaScript \\(\\.js, \\.mjs or \\.cjs\\), or install the Eventscope package built for this platform\\.$`,
      ),
    );
    await assert.rejects(
      bundleProjection(ts, brokenBinary),
      /which cannot run here \(The service was stopped: spawn \/x\/esbuild EACCES\)/,
    );
    file('money.ts', 'export const cents = (s: string) => Number(s);\n');
    const importsTs = file('imports-ts.js', "import { cents } from './money';\nexport default { when: { A: () => cents('1') } };\n");
    await assert.rejects(
      bundleProjection(importsTs, missingBinary),
      new RegExp(`${escape(importsTs)} imports ${escape(join(dir, 'money.ts'))}: TypeScript projections need`),
    );

    await assert.rejects(
      bundleProjection(file('bad.js', 'export default {\n  when: { A: (s) => { s.x = ; } },\n};\n'), missingBinary),
      new RegExp(`bad\\.js:2:\\d+: Unexpected token ';'\\.$`),
    );
    file('broken.mjs', 'export const x = (;\n');
    await assert.rejects(
      bundleProjection(file('uses-broken.js', "import { x } from './broken.mjs';\nexport default { when: {} };\n"), missingBinary),
      new RegExp(`${escape(join(dir, 'broken.mjs'))}:1:\\d+: Unexpected token`),
    );
    await assert.rejects(
      bundleProjection(join(dir, 'missing.js'), missingBinary),
      new RegExp(`${escape(join(dir, 'missing.js'))}: the file does not exist\\.`),
    );
    await assert.rejects(
      bundleProjection(file('destructure.mjs', 'const o = { a: 1 };\nexport const { a } = o;\n'), missingBinary),
      /destructure\.mjs:2:1: exporting a destructuring pattern needs esbuild's native binary/,
    );
    const throws = file('throws.js', 'const x = null;\nx.y = 1;\nexport default { when: {} };\n');
    await assert.rejects(load(throws), /throws\.js failed to load: .* \(at .*throws\.js:2:\d+\)/);
  });
});

describe('the plain loader: rewriting ES modules line for line', () => {
  it('leaves strings, templates, regular expressions and comments that look like imports alone', () => {
    const source = [
      "import a from './a.js'; const s = \"import b from './b.js'\";", // 1
      "const t = `export default ${`import c from './c.js' ${1 + 2}`} }`; // import d from './d.js'", // 2
      'const r = /export default [\'"]x/g, q = 4 / 2 / 1; /* export const e = 1; */', // 3
      'const o = { import: 1, export: 2 }; o.import; if (q) /[/]export/.test(s);', // 4
      "const dyn = () => import('./e.js');", // 5
      'export default { a, s, t, r, q, o };', // 6
    ].join('\n');
    const { code, esm, requests } = toCommonJs(source, '/x/p.js');
    assert.equal(esm, true);
    assert.deepEqual(requests, ['./a.js', './e.js']);
    const lines = code.split('\n');
    assert.deepEqual(lines.slice(1, 5), source.split('\n').slice(1, 5), 'lines without import/export stay as they were');
    assert.match(lines[0], /^'use strict';const a = __esm_default\(require\("\.\/a\.js"\)\); const s = "import b from '\.\/b\.js'";$/);
    assert.equal(lines[5], 'exports.default = { a, s, t, r, q, o };');
  });

  it('leaves CommonJS and scripts as they are', () => {
    const script = "const x = require('./x');\nmodule.exports = { x };\n";
    assert.deepEqual(toCommonJs(script, '/x/p.js'), { code: script, esm: false, requests: ['./x'] });
    const cjs = 'exports.x = 1;\n';
    assert.deepEqual(toCommonJs(cjs, '/x/p.cjs'), { code: cjs, esm: false, requests: [] });
  });
});
