// What the language server reads in projection files without a parser: the handlers of the
// default export's or a KurrentDB script's `when` object, and what the cursor is completing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { completionAt, handlerKeyAt, outlineProjection, type ProjectionOutline, type Span } from '../src/server/projectionSource';

/** The cursor in a test's text. */
const CURSOR = '¦';

/** The text without its cursor mark, and the cursor's offset. */
function cursor(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf(CURSOR);
  assert.ok(offset >= 0 && marked.indexOf(CURSOR, offset + 1) < 0, 'one cursor mark');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

const complete = (marked: string) => {
  const { text, offset } = cursor(marked);
  return completionAt(text, offset);
};

function outline(text: string): ProjectionOutline {
  const found = outlineProjection(text);
  assert.ok(found, 'an outline');
  return found;
}

const slice = (text: string, span: Span | undefined) => (span ? text.slice(span.start, span.end) : undefined);

/** Each handler as [key, key as written, body as written, params]. */
const handlersOf = (text: string, found = outline(text)) =>
  found.handlers.map((h) => [h.key, slice(text, h.keySpan), slice(text, h.body), h.params] as const);

/** The span of the first `part` of `text` (after `after`, when given). */
function spanOf(text: string, part: string, after = ''): Span {
  const start = text.indexOf(part, text.indexOf(after));
  assert.ok(start >= 0, `${part} in the text`);
  return { start, end: start + part.length };
}

describe('projection files: the outline', () => {
  it('reads examples/bank-balances.js: three handlers, their keys, parameters and bodies, and the invariant', () => {
    const text = readFileSync(join(__dirname, '..', 'examples', 'bank-balances.js'), 'utf8');
    const found = outline(text);
    assert.equal(found.style, 'module');
    assert.equal(slice(text, found.anchor), 'export default');
    assert.equal(found.hasInvariant, true);
    assert.deepEqual(found.specialKeys, []);
    assert.match(slice(text, found.when)!, /^\{\n {4}'BankAccount\.Opened': \(state, event\) => \{[\s\S]*\n {2}\}$/);
    assert.deepEqual(
      found.handlers.map((h) => [h.key, slice(text, h.keySpan), h.quoted, h.params]),
      [
        ['BankAccount.Opened', "'BankAccount.Opened'", true, ['state', 'event']],
        ['Credited', 'Credited', false, ['state', 'event']],
        ['Debited', 'Debited', false, ['state', 'event']],
      ],
    );
    assert.equal(
      slice(text, found.handlers[1].body),
      '(state, event) => {\n      state.balances[event.streamId] += cents(event.data.amount);\n    }',
    );
    // Every body ends with its own closing brace, before the property's comma.
    for (const h of found.handlers) assert.equal(text.slice(h.body.end - 1, h.body.end + 1), '},');
  });

  it('reads every way of writing a key: quoted, unquoted, methods, async, function expressions, TypeScript annotations', () => {
    const text = [
      "import type { Projection } from 'eventscope';",
      'export default {',
      "  name: 'Keys',",
      '  when: {',
      "    'BankAccount.Opened': (state, event) => { state.n = 1; },",
      '    Credited: (state, event) => { state.n += Number(event.data.amount); },',
      '    "x:Y.Z"(state, e) { state.z = e.data; },',
      '    Debited: function (s, ev) { s.n -= ev.data.amount; },',
      '    async Closed(state: State, event: Ev<Closed>): Promise<void> { await save(state, event); },',
      "    'It\\'s.Escaped': async (s, e) => s,",
      '    "A\\u002eB": e => e,',
      "    ['Computed.Key']: function* named(s: S, e: E) { yield s; },",
      '    Reopened(this: Ctx, s, ...rest) {},',
      '    Typed: <T,>(state: T, event?: Ev): T => state,',
      '  },',
      '} satisfies Projection;',
    ].join('\n');
    assert.deepEqual(handlersOf(text), [
      ['BankAccount.Opened', "'BankAccount.Opened'", '(state, event) => { state.n = 1; }', ['state', 'event']],
      ['Credited', 'Credited', '(state, event) => { state.n += Number(event.data.amount); }', ['state', 'event']],
      ['x:Y.Z', '"x:Y.Z"', '(state, e) { state.z = e.data; }', ['state', 'e']],
      ['Debited', 'Debited', 'function (s, ev) { s.n -= ev.data.amount; }', ['s', 'ev']],
      ['Closed', 'Closed', '(state: State, event: Ev<Closed>): Promise<void> { await save(state, event); }', ['state', 'event']],
      ["It's.Escaped", "'It\\'s.Escaped'", 'async (s, e) => s', ['s', 'e']],
      ['A.B', '"A\\u002eB"', 'e => e', ['e']],
      ['Computed.Key', "'Computed.Key'", 'function* named(s: S, e: E) { yield s; }', ['s', 'e']],
      ['Reopened', 'Reopened', '(this: Ctx, s, ...rest) {}', ['s', 'rest']],
      ['Typed', 'Typed', '<T,>(state: T, event?: Ev): T => state', ['state', 'event']],
    ]);
    assert.deepEqual(
      outline(text).handlers.map((h) => h.quoted),
      [true, false, true, false, false, true, true, true, false, false],
    );
  });

  it('gives undefined for a destructured parameter, and names a rest or defaulted one', () => {
    const text = `export default { when: {
      A: (state, { data }) => {},
      B: ({ balances }, event) => {},
      C: ([first], e = {}, ...more) => {},
    } };`;
    assert.deepEqual(
      outline(text).handlers.map((h) => h.params),
      [
        ['state', undefined],
        [undefined, 'event'],
        [undefined, 'e', 'more'],
      ],
    );
  });

  it('finds the default export through satisfies, as, a parenthesis, a wrapping call and a const of the file', () => {
    const when = 'when: { Credited: (s, e) => s }, invariant: (s) => s.ok';
    const forms = [
      [`export default { ${when} } satisfies Projection<State>;`, 'export default'],
      [`export default { ${when} } as Projection;`, 'export default'],
      [`export default ({ ${when} });`, 'export default'],
      [`export default defineProjection({ ${when} });`, 'export default'],
      [`export default define.projection<State>({ ${when} }, { strict: true });`, 'export default'],
      [`const projection: Projection<{ n: number }> = { ${when} };\nexport default projection;`, 'export default'],
      [`let p = { ${when} };\nexport default p satisfies Projection;`, 'export default'],
      [`const p = defineProjection({ ${when} });\nconst q = p;\nexport default q;`, 'export default'],
      [`module.exports = { ${when} };`, 'module.exports'],
      [`module.exports = defineProjection({ ${when} });`, 'module.exports'],
      [`export = { ${when} };`, 'export ='],
    ] as const;
    for (const [text, anchor] of forms) {
      const found = outline(text);
      assert.equal(found.style, 'module', text);
      assert.equal(slice(text, found.anchor), anchor, text);
      assert.equal(slice(text, found.when), '{ Credited: (s, e) => s }', text);
      assert.deepEqual(handlersOf(text, found), [['Credited', 'Credited', '(s, e) => s', ['s', 'e']]], text);
      assert.equal(found.hasInvariant, true, text);
    }
  });

  it('reads a `when` bound to a const of the file, and the invariant as a method or shorthand', () => {
    const text = `const when = {\n  Opened(state, event) {},\n};\nconst invariant = (s) => true;\nexport default { when, invariant };`;
    const found = outline(text);
    assert.deepEqual(handlersOf(text, found), [['Opened', 'Opened', '(state, event) {}', ['state', 'event']]]);
    assert.equal(found.hasInvariant, true);
    const method = `export default { invariant(state) { return true; }, when: { A() {} } };`;
    assert.equal(outline(method).hasInvariant, true);
    assert.equal(outline(`export default { when: { A() {} }, any: (s) => s };`).hasInvariant, false);
  });

  it('follows a handler naming a function of the file, or its shorthand, to that function', () => {
    const text = [
      'function onCredited(state, event) {',
      '  state.n += event.data.amount;',
      '}',
      'const Debited = async (s, { data }) => s.n - data.amount;',
      'export default {',
      '  when: { Credited: onCredited, Debited, Unknown: elsewhere, Unbound },',
      '};',
    ].join('\n');
    assert.deepEqual(handlersOf(text), [
      ['Credited', 'Credited', 'function onCredited(state, event) {\n  state.n += event.data.amount;\n}', ['state', 'event']],
      ['Debited', 'Debited', 'async (s, { data }) => s.n - data.amount', ['s', undefined]],
      ['Unknown', 'Unknown', 'elsewhere', []],
      ['Unbound', 'Unbound', 'Unbound', []],
    ]);
  });

  it('skips strings, comments, regular expressions and templates holding braces and fake `when:` or `export default` text', () => {
    const text = [
      '// export default { when: { Fake: () => {} } }',
      "const fake = 'export default { when: { Fake1 } }';",
      '/* module.exports = { when: { Fake2 } } */',
      'export default {',
      "  name: 'when: { Fake3: 1 } }}}',",
      '  description: "} ) ] { ( [",',
      '  when: {',
      '    // Fake4: () => {},',
      '    /* Fake5: () => { */',
      '    A: (s, e) => { s.re = /[{}]when: { Fake6 }\\//g; s.half = e.n / 2 / s.d; },',
      '    B: (s, e) => `{ ${e.data.x + `}${ { when: 1 }.when }` } when: { Fake7 }`,',
      "    C: (s, e) => { if (e.ok) /}/.test(e.t); return /'{/.source + '\\'{'; },",
      '    D: (s, e) => e.n++ / 2, F: (s, e) => e.n-- / 3, G: (s, e) => ++/{/.source.length,',
      '    H: (s, e) => `\\` { \\${ {`,',
      "    'E': (s, e) => { const t = (1 + 2) / 3; return typeof /}/; },",
      '  },',
      '};',
    ].join('\n');
    const found = outline(text);
    assert.equal(found.anchor.start, text.lastIndexOf('export default {'));
    assert.deepEqual(
      found.handlers.map((h) => h.key),
      ['A', 'B', 'C', 'D', 'F', 'G', 'H', 'E'],
    );
    assert.equal(slice(text, found.handlers[1].body), '(s, e) => `{ ${e.data.x + `}${ { when: 1 }.when }` } when: { Fake7 }`');
    assert.equal(slice(text, found.handlers[2].body), "(s, e) => { if (e.ok) /}/.test(e.t); return /'{/.source + '\\'{'; }");
    assert.match(slice(text, found.when)!, /^\{[\s\S]*return typeof \/\}\/; \},\n {2}\}$/);
  });

  it('reads KurrentDB scripts: fromStream, fromAll().foreachStream(), fromCategory().partitionBy(), the $ keys apart', () => {
    const stream = [
      'options({ $includeLinks: false, reorderEvents: false });',
      "fromStream('account-1').when({",
      '  $init: () => ({ balance: 0 }),',
      "  'Credited': function (s, e) { s.balance += e.body.amount; },",
      '  Debited: (state, event) => { state.balance -= event.data.amount; },',
      '  $any: (s, e) => s,',
      '}).outputState();',
    ].join('\n');
    const found = outline(stream);
    assert.equal(found.style, 'kurrentdb');
    assert.equal(slice(stream, found.anchor), 'fromStream(');
    assert.deepEqual(found.specialKeys, ['$init', '$any']);
    assert.equal(found.hasInvariant, false);
    assert.equal(slice(stream, found.when), stream.slice(stream.indexOf('{\n  $init'), stream.indexOf('}).outputState') + 1));
    assert.deepEqual(handlersOf(stream, found), [
      ['Credited', "'Credited'", 'function (s, e) { s.balance += e.body.amount; }', ['s', 'e']],
      ['Debited', 'Debited', '(state, event) => { state.balance -= event.data.amount; }', ['state', 'event']],
    ]);

    const all = `// fromStream('commented').when({ Fake: () => {} })\nfromAll()\n  .foreachStream()\n  .when({ $init() { return {}; }, $deleted: (s) => s, Opened: (s, e) => s });`;
    const foundAll = outline(all);
    assert.equal(slice(all, foundAll.anchor), 'fromAll(');
    assert.deepEqual(foundAll.specialKeys, ['$init', '$deleted']);
    assert.deepEqual(handlersOf(all, foundAll), [['Opened', 'Opened', '(s, e) => s', ['s', 'e']]]);

    const category = [
      "fromCategory('account')",
      '  .partitionBy(function (e) { return e.body.owner; })',
      '  .when({ $initShared: () => ({}), $created: (s, e) => s, "Account.Opened": (s, e) => { s.open = true; } })',
      '  .outputState();',
    ].join('\n');
    const foundCategory = outline(category);
    assert.equal(slice(category, foundCategory.anchor), 'fromCategory(');
    assert.deepEqual(foundCategory.specialKeys, ['$initShared', '$created']);
    assert.deepEqual(handlersOf(category, foundCategory), [
      ['Account.Opened', '"Account.Opened"', '(s, e) => { s.open = true; }', ['s', 'e']],
    ]);

    const bound = `var handlers = { $init: () => ({}), Opened: (s, e) => s };\nfromStreams(['a', 'b']).when(handlers);`;
    assert.deepEqual(handlersOf(bound), [['Opened', 'Opened', '(s, e) => s', ['s', 'e']]]);
  });

  it('keeps $ keys as handlers in a module (they are event types there)', () => {
    const found = outline(`export default { when: { $metadata: (s, e) => s } };`);
    assert.deepEqual(
      found.handlers.map((h) => h.key),
      ['$metadata'],
    );
    assert.deepEqual(found.specialKeys, []);
  });

  it('gives undefined for files without a `when`: another default export, a script without when, nothing', () => {
    const none = [
      '',
      'export default { name: "no handlers", init: () => ({}) };',
      'export default function project(state, event) { return { when: {} }; }',
      'export default class Projection { when = {} }',
      'export default { name: "x", nested: { when: { A: () => {} } } };',
      'const when = { A: () => {} };\nexport const projection = { when };',
      'fromAll().foreachStream().outputState();',
      'const x = { when: { A: () => {} } };',
      '// export default { when: { A() {} } }',
      'module.exports.helper = { when: { A() {} } };',
    ];
    for (const text of none) assert.equal(outlineProjection(text), undefined, text);
  });

  it('reads incomplete files: an unterminated when, a handler being typed, unclosed strings and comments', () => {
    const typing = 'export default {\n  when: {\n    Credited: (state, event) => {\n      state.n += event.data.';
    const found = outline(typing);
    assert.equal(slice(typing, found.when), typing.slice(typing.indexOf('{\n    Credited')));
    assert.deepEqual(handlersOf(typing, found), [
      ['Credited', 'Credited', '(state, event) => {\n      state.n += event.data.', ['state', 'event']],
    ]);

    // A handler left open ends at the when's closing brace, so the next is read as its body.
    const open = 'export default {\n  when: {\n    A: (s, e) => {\n      s.x = e.data.\n    B: (s, e) => {},\n  },\n};';
    assert.deepEqual(
      outline(open).handlers.map((h) => [h.key, h.params]),
      [['A', ['s', 'e']]],
    );

    const key = "export default {\n  when: {\n    Credited: (s, e) => s,\n    'Bank";
    assert.deepEqual(
      outline(key).handlers.map((h) => [h.key, slice(key, h.keySpan), h.quoted]),
      [
        ['Credited', 'Credited', false],
        ['Bank', "'Bank", true],
      ],
    );
    assert.deepEqual(outline('export default { when: { /* A: () => {} ').handlers, []);

    // A key typed before the next property, its comma not yet.
    const before = "export default {\n  when: {\n    Cred\n    Debited: (s, e) => s,\n    'Bank\n    Closed(s, e) {},\n  },\n};";
    assert.deepEqual(handlersOf(before), [
      ['Cred', 'Cred', 'Cred', []],
      ['Debited', 'Debited', '(s, e) => s', ['s', 'e']],
      ['Bank', "'Bank", "'Bank", []],
      ['Closed', 'Closed', '(s, e) {}', ['s', 'e']],
    ]);
    assert.deepEqual(completionAt(before, before.indexOf('Cred') + 4), { kind: 'handlerKey', replace: spanOf(before, 'Cred') });
  });

  it('never throws on broken input and reads every prefix of a file', () => {
    const text = readFileSync(join(__dirname, '..', 'examples', 'bank-balances.js'), 'utf8');
    const broken = [
      ')]}',
      '{{{{',
      '/*',
      "'",
      '`${',
      '`${`${',
      '/[/',
      'export default',
      'export default {',
      'fromAll().when(',
      '\\',
      '#!x',
      'a?.5:1',
      '...',
    ];
    for (const bad of broken) {
      outlineProjection(bad);
      completionAt(bad, bad.length);
      completionAt(bad, 0);
    }
    // From just after `when: {` every prefix has the when object, and the handlers typed so far:
    // the file's, the last one perhaps partly.
    const keys = outline(text).handlers.map((h) => h.key);
    const whenAt = text.indexOf('when: {') + 'when: {'.length;
    for (let end = 0; end <= text.length; end++) {
      const prefix = text.slice(0, end);
      const found = outlineProjection(prefix);
      assert.equal(found !== undefined, end >= whenAt, `the prefix of ${end}`);
      const typed = found?.handlers.map((h) => h.key) ?? [];
      assert.deepEqual(typed.slice(0, -1), keys.slice(0, Math.max(typed.length - 1, 0)), `the prefix of ${end}`);
      assert.ok(typed.length === 0 || keys[typed.length - 1].startsWith(typed.at(-1)!), `the prefix of ${end}`);
      completionAt(prefix, prefix.length);
    }
  });

  it('outlines a 200 KB file', () => {
    // Each handler holds braces and quotes in a comment, a template, a regular expression and a string.
    const handlers: string[] = [];
    for (let i = 0, length = 0; length < 200_000; i++) {
      handlers.push(
        `    'Account${i}.Credited': (state, event) => {\n      // {${i} \`\n      state.log.push(\`\${event.data.amount} /{\${i}}\`, /[}]/g.test('}'), '${i}');\n    },\n`,
      );
      length += handlers[i].length;
    }
    const text = `export default {\n  name: 'big',\n  when: {\n${handlers.join('')}  },\n  invariant: (s) => true,\n};\n`;
    assert.ok(text.length > 200_000);
    const found = outline(text);
    assert.equal(found.handlers.length, handlers.length);
    assert.equal(found.handlers.at(-1)!.key, `Account${handlers.length - 1}.Credited`);
    assert.equal(found.hasInvariant, true);
    const offset = text.lastIndexOf('event.data.') + 'event.data.amo'.length;
    assert.deepEqual(completionAt(text, offset, found), {
      kind: 'dataField',
      handlerKey: `Account${handlers.length - 1}.Credited`,
      path: [],
      replace: { start: offset - 'amo'.length, end: offset + 'unt'.length },
    });
  });
});

describe('projection files: handler keys at an offset', () => {
  it('finds the handler whose key holds the offset, its end included', () => {
    const text = "export default { when: { 'Bank.Opened': (s, e) => s, Credited(s, e) {} } };";
    const found = outline(text);
    const quoted = text.indexOf("'Bank");
    assert.equal(handlerKeyAt(found, quoted)?.key, 'Bank.Opened');
    assert.equal(handlerKeyAt(found, quoted + 5)?.key, 'Bank.Opened');
    assert.equal(handlerKeyAt(found, quoted + "'Bank.Opened'".length)?.key, 'Bank.Opened');
    assert.equal(handlerKeyAt(found, text.indexOf('Credited') + 3)?.key, 'Credited');
    assert.equal(handlerKeyAt(found, quoted - 1), undefined);
    assert.equal(handlerKeyAt(found, text.indexOf('(s, e) => s') + 1), undefined);
  });
});

describe('projection files: completion', () => {
  const module = (when: string) => `export default {\n  name: 'p',\n  when: {\n${when}\n  },\n  invariant: (s) => true,\n};`;

  it('completes a handler key being typed at the end of an incomplete file', () => {
    const { text, offset } = cursor('export default {\n  when: {\n  Cred¦');
    assert.deepEqual(completionAt(text, offset), { kind: 'handlerKey', replace: spanOf(text, 'Cred') });
    const partialString = cursor("module.exports = {\n  when: {\n    'Bank¦");
    assert.deepEqual(completionAt(partialString.text, partialString.offset), {
      kind: 'handlerKey',
      replace: spanOf(partialString.text, "'Bank"),
      quote: "'",
    });
  });

  it('completes a key at the start of a property: after { or a comma, over comments, a partial name or inside a string key', () => {
    /** The completion as [kind, the text it replaces, where that starts from the cursor, the quote]. */
    const at = (marked: string) => {
      const { text, offset } = cursor(marked);
      const result = completionAt(text, offset);
      return (
        result && [
          result.kind,
          slice(text, result.replace),
          result.replace.start - offset,
          result.kind === 'handlerKey' ? result.quote : undefined,
        ]
      );
    };
    assert.deepEqual(at(module('¦')), ['handlerKey', '', 0, undefined]);
    assert.deepEqual(at(module('    ¦A: (s, e) => s,')), ['handlerKey', '', 0, undefined]);
    assert.deepEqual(at(module('    A: (s, e) => s,¦')), ['handlerKey', '', 0, undefined]);
    assert.deepEqual(at(module('    A: (s, e) => s, /* next */ De¦')), ['handlerKey', 'De', -2, undefined]);
    assert.deepEqual(at(module('    A: (s, e) => s,\n    // a comment\n    Cr¦edited: (s, e) => s,')), [
      'handlerKey',
      'Credited',
      -2,
      undefined,
    ]);
    assert.deepEqual(at(module('    "Bank.Op¦": (s, e) => s,')), ['handlerKey', '"Bank.Op"', -8, '"']);
    assert.deepEqual(at(module("    'Bank.Op¦")), ['handlerKey', "'Bank.Op", -8, "'"]);
    assert.deepEqual(at(module("    '¦'")), ['handlerKey', "''", -1, "'"]);
    assert.deepEqual(at(module('    async Clo¦')), ['handlerKey', 'Clo', -3, undefined]);
    assert.deepEqual(at(module('    A: (s, e) => { return { b: 1 }; },\n    B: [1, 2],\n    ¦')), ['handlerKey', '', 0, undefined]);
    assert.deepEqual(at('export default { when: {¦} };'), ['handlerKey', '', 0, undefined]);
    assert.deepEqual(at('export default { when: {\n  Cr¦'), ['handlerKey', 'Cr', -2, undefined]);
    assert.deepEqual(at("fromAll().when({ $init: () => ({}), 'Acc¦' });"), ['handlerKey', "'Acc'", -4, "'"]);
    assert.deepEqual(at('fromAll().when({ $init: () => ({}), $a¦ });'), ['handlerKey', '$a', -2, undefined]);
  });

  it('completes no key in a value, a handler body, after a key, outside the when object, in comments or value strings', () => {
    const none = [
      module('    A: ¦'),
      module('    A: Cre¦'),
      module('    A: (s, e) => { Cre¦ }'),
      module('    A: (s, e) => { return { ¦ }; }'),
      module('    A: (s, e) => s,\n    B: [¦'),
      module("    A: (s, e) => s.type === 'Cre¦',"),
      module('    Credited Cre¦'),
      module('    A: (s, e) => s, // Cre¦'),
      module('    /* Cre¦ */'),
      module('    `Cre¦`'),
      "export default {\n  name: 'p',\n  ¦\n  when: { A: (s, e) => s },\n};",
      'export default { when: ¦{ A: (s, e) => s } };',
      'export default { when: { A: (s, e) => s }¦ };',
      'export default { init: () => ({ ¦ }), when: { A: (s, e) => s } };',
      'const handlers = { ¦ };\nexport default { name: "no when" };',
    ];
    for (const marked of none) {
      assert.equal(complete(marked), undefined, marked);
      if (!marked.includes('no when')) assert.ok(outlineProjection(cursor(marked).text), marked);
    }
  });

  it('completes data fields after the event parameter: paths, optional chaining, a partial name, TypeScript non-null', () => {
    const field = (marked: string) => {
      const { text, offset } = cursor(marked);
      const result = completionAt(text, offset);
      return result?.kind === 'dataField' ? [result.handlerKey, result.path, slice(text, result.replace)] : result;
    };
    assert.deepEqual(field(module('    Credited: (state, event) => { state.n += event.data.¦ },')), ['Credited', [], '']);
    assert.deepEqual(field(module('    Credited: (state, event) => { state.n += event.data.am¦ },')), ['Credited', [], 'am']);
    assert.deepEqual(field(module('    Credited: (state, event) => { state.n += event.data.am¦ount; },')), ['Credited', [], 'amount']);
    assert.deepEqual(field(module('    Credited: (state, event) => { f(event.data.a.b.¦) },')), ['Credited', ['a', 'b'], '']);
    assert.deepEqual(field(module('    Credited: (state, event) => event?.data?.a?.b?.c¦,')), ['Credited', ['a', 'b'], 'c']);
    assert.deepEqual(field(module('    Credited: (state, event) => event.data!.a!.\n      ¦')), ['Credited', ['a'], '']);
    assert.deepEqual(field(module('    Credited: (state, event) =>\n      event\n        .data\n        .x¦')), ['Credited', [], 'x']);
    assert.deepEqual(field(module('    Credited: (state, event) => `${event.data.¦}`,')), ['Credited', [], '']);
    assert.deepEqual(field(module('    "x:Y.Z"(state, e) { return e.data.to¦ },')), ['x:Y.Z', [], 'to']);
    assert.deepEqual(field(module('    async Closed(state: State, event: Ev<Closed>): Promise<void> { event.data.reason.¦ },')), [
      'Closed',
      ['reason'],
      '',
    ]);
    assert.deepEqual(field(module('    Debited: function (s, ev) { s.n -= ev.data.¦ },')), ['Debited', [], '']);
    assert.deepEqual(field(module('    A: (s, e) => s,\n    Debited: async (s, ev) => { await ev.data.¦ },')), ['Debited', [], '']);
  });

  it('completes data fields of a destructured event, of a handler defined apart, and of KurrentDB bodies', () => {
    const field = (marked: string) => {
      const { text, offset } = cursor(marked);
      const result = completionAt(text, offset);
      return result?.kind === 'dataField' ? [result.handlerKey, result.path, slice(text, result.replace)] : result;
    };
    assert.deepEqual(field(module('    Credited: (state, { data }) => { state.n += data.a.¦ },')), ['Credited', ['a'], '']);
    assert.deepEqual(field(module('    Credited: (state, { data: d, type }) => { state.n += d.amo¦ },')), ['Credited', [], 'amo']);
    assert.equal(field(module('    Credited: (state, { type }) => { state.n += data.¦ },')), undefined);
    assert.deepEqual(
      field(`function onCredited(state, event) {\n  return event.data.¦;\n}\nexport default { when: { Credited: onCredited } };`),
      ['Credited', [], ''],
    );
    const script = (body: string, any = 's') =>
      `fromCategory('account').when({\n  $init: () => ({}),\n  'Account.Credited': function (s, e) { ${body} },\n  $any: (s, e) => { ${any} },\n});`;
    assert.deepEqual(field(script('s.n += e.body.amount.¦')), ['Account.Credited', ['amount'], '']);
    assert.deepEqual(field(script('s.n += e.data.a¦')), ['Account.Credited', [], 'a']);
    // `$any` is no handler of an event type: there is no type to complete the fields of.
    assert.equal(complete(script('s.n = 1;', 'e.body.¦')), undefined);
    // In our modules the payload is `data` only.
    assert.equal(field(module('    Credited: (state, event) => event.body.¦,')), undefined);
  });

  it('completes no data field elsewhere: other names, member chains, strings, comments, template text, outside handlers', () => {
    const none = [
      module('    Credited: (state, event) => state.data.¦,'),
      module('    Credited: (state, event) => this.event.data.¦,'),
      module('    Credited: (state, event) => other.event.data.¦,'),
      module('    Credited: (state, event) => event.metadata.¦,'),
      module('    Credited: (state, event) => event.¦,'),
      module('    Credited: (state, event) => event.data[0].¦,'),
      module("    Credited: (state, event) => 'event.data.¦',"),
      module('    Credited: (state, event) => `event.data.¦`,'),
      module('    Credited: (state, event) => `${x}event.data.¦`,'),
      module('    Credited: (state, event) => /event.data.¦/,'),
      module('    Credited: (state, event) => s, // event.data.¦'),
      module('    Credited: (state, event) => { /* event.data.¦ */ },'),
      module('    Credited: (event) => event.data.¦,'),
      'export default {\n  init: (state, event) => event.data.¦,\n  when: { A: (s, e) => s },\n};',
      'const f = (state, event) => event.data.¦;\nexport default { when: { A: (s, e) => s } };',
    ];
    for (const marked of none) {
      assert.equal(complete(marked), undefined, marked);
      assert.ok(outlineProjection(cursor(marked).text), marked);
    }
  });

  it('gives the same answers with an outline made beforehand', () => {
    const { text, offset } = cursor(module('    Credited: (state, event) => event.data.a.¦,\n    De'));
    const found = outline(text);
    assert.deepEqual(completionAt(text, offset, found), completionAt(text, offset));
    assert.deepEqual(completionAt(text, offset, found), {
      kind: 'dataField',
      handlerKey: 'Credited',
      path: ['a'],
      replace: { start: offset, end: offset },
    });
    assert.deepEqual(completionAt(text, text.indexOf('\n  },'), found), { kind: 'handlerKey', replace: spanOf(text, 'De', 'event.data') });
  });
});
