import assert from 'node:assert/strict';
import { jsonKeyAt } from '../src/server/jsonCursor';

describe('jsonKeyAt: where a key goes in JSON being typed', () => {
  it('finds key positions, with the path down to them and the keys already there', () => {
    assert.deepEqual(jsonKeyAt('{'), { path: [], keys: [], start: 1, quoted: false });
    assert.deepEqual(jsonKeyAt('{ "a": 1, '), { path: [], keys: ['a'], start: 10, quoted: false });
    assert.deepEqual(jsonKeyAt('{ "a": 1, "b'), { path: [], keys: ['a'], start: 10, quoted: true });
    assert.deepEqual(jsonKeyAt('{ "a": 1,\n  fu'), { path: [], keys: ['a'], start: 12, quoted: false });
    assert.deepEqual(jsonKeyAt('{ "a": { "b": { "x": [1, {"y": 2}], '), { path: ['a', 'b'], keys: ['x'], start: 36, quoted: false });
    assert.deepEqual(jsonKeyAt('{ "a\\"q": { '), { path: ['a"q'], keys: [], start: 12, quoted: false });
  });

  it('is not where a value, an array item, a colon or nothing goes', () => {
    for (const text of ['', '{ "a": ', '{ "a": "tex', '{ "a" ', '{ "a": [', '{ "a": [{ ', '{ "a": 1 ', '{ "a": 1 }', '[1, ', '{ "a": tr']) {
      assert.equal(jsonKeyAt(text), undefined, text);
    }
  });

  it('reads braces inside strings as text', () => {
    assert.deepEqual(jsonKeyAt('{ "a": "{[\\"", '), { path: [], keys: ['a'], start: 15, quoted: false });
  });
});
