import assert from 'node:assert/strict';
import { parseExactJson, stringifyExact } from '../src/core/json/exact';

describe('exact JSON', () => {
  it('parses plain JSON like JSON.parse', () => {
    const text = '{"a":1,"b":[true,false,null,"x\\u00e9\\n"],"c":{"d":-1.5e3}}';
    assert.deepEqual(parseExactJson(text), JSON.parse(text));
  });

  it('keeps integers beyond 2^53 exactly as bigint, in the fast and the tolerant path', () => {
    const big = '123456789012345678901234567890';
    assert.deepEqual(parseExactJson(`{"n":${big},"m":-9007199254740993,"s":9007199254740991}`), {
      n: BigInt(big),
      m: -9007199254740993n,
      s: 9007199254740991,
    });
    assert.deepEqual(parseExactJson(`{"n":${big},"x":NaN}`), { n: BigInt(big), x: NaN });
    // Long digit runs inside strings and fractions are not integers.
    assert.deepEqual(parseExactJson('{"s":"12345678901234567890","f":1.2345678901234567890}'), {
      s: '12345678901234567890',
      f: 1.2345678901234567,
    });
  });

  it("accepts Python's NaN, Infinity and -Infinity", () => {
    const value = parseExactJson('{"a": NaN, "b": [Infinity, -Infinity], "c": -1}') as Record<string, unknown>;
    assert.ok(Number.isNaN(value.a));
    assert.deepEqual(value.b, [Infinity, -Infinity]);
    assert.equal(value.c, -1);
  });

  it('accepts old separators and escaped non-ASCII', () => {
    assert.deepEqual(parseExactJson('{"name": "Carol M\\u00fcller", "tags": ["a", "b"]}'), { name: 'Carol Müller', tags: ['a', 'b'] });
  });

  it('keeps a "__proto__" key as data', () => {
    const value = parseExactJson('{"__proto__": {"x": 1}, "y": NaN}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ['__proto__', 'y']);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
  });

  it('says where invalid or truncated JSON breaks', () => {
    assert.throws(() => parseExactJson('{"a": 1, "b": [1, 2'), /invalid JSON at the end \(truncated\?\)/);
    assert.throws(() => parseExactJson('{"a": nope}'), /invalid JSON at character 6/);
    assert.throws(() => parseExactJson('{"a": 1} x'), /after the JSON value/);
  });

  it('prints bigints exactly and non-finite numbers as strings', () => {
    assert.equal(
      stringifyExact({ n: 123456789012345678901234567890n, a: NaN, b: Infinity, c: -Infinity, d: 1.5 }),
      '{"n":123456789012345678901234567890,"a":"NaN","b":"Infinity","c":"-Infinity","d":1.5}',
    );
    assert.equal(stringifyExact([1n, { x: [2n] }], 1), '[\n 1,\n {\n  "x": [\n   2\n  ]\n }\n]');
  });

  it('prints like JSON.stringify whenever there is nothing to make exact (its fast path), and exactly otherwise', () => {
    const plain = { a: null, b: 'null', c: [1, null, { d: 'x' }], e: true, f: -0, g: 1e21, h: undefined, i: new Date(0) };
    assert.equal(stringifyExact(plain), JSON.stringify(plain));
    assert.equal(stringifyExact(plain, 2), JSON.stringify(plain, null, 2));
    assert.equal(stringifyExact(undefined), undefined);
    assert.equal(stringifyExact('null'), '"null"');
    // a non-finite number next to a real null, deep down, in an array, or behind toJSON
    assert.equal(stringifyExact({ a: null, b: [{ c: NaN }] }), '{"a":null,"b":[{"c":"NaN"}]}');
    assert.equal(stringifyExact([null, -Infinity]), '[null,"-Infinity"]');
    assert.equal(stringifyExact({ a: { toJSON: () => Infinity } }), '{"a":"Infinity"}');
    assert.equal(stringifyExact({ a: null, b: { c: { d: 12345678901234567890n } } }), '{"a":null,"b":{"c":{"d":12345678901234567890}}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => stringifyExact(cyclic), /circular/i);
  });
});
