import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import {
  decodeEventsourcingState,
  decodeEventsourcingStates,
  describeStateEncoding,
  encodeEventsourcingState,
  parseCipherKey,
} from '../src/core/codecs/eventsourcing';
import { isMissingCipherKey, MissingCipherKey } from '../src/core/errors';
import { FIXTURE_KEY, readDumps } from './helpers/dumps';

const dumps = readDumps();
const key = parseCipherKey(FIXTURE_KEY);
const blob = (text: string) => Buffer.from(text, 'utf8');

describe('eventsourcing state codec', () => {
  it('decodes the transcodings and records the kinds of exact values by JSON pointer', () => {
    const text =
      '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-28T04:52:14.610059+00:00"},' +
      '"amount":{"_type_":"decimal_str","_data_":"0.10000000000000000001"},' +
      '"owner":{"_type_":"uuid_hex","_data_":"11111111222233334444555555555555"},' +
      '"big":18446744073709551617,"ratio":NaN,' +
      '"when":{"_type_":"date_iso","_data_":"2024-05-01"},' +
      '"pair":{"_type_":"tuple_as_list","_data_":[{"_type_":"decimal_str","_data_":"1.5"},2]},' +
      '"not_a_transcoding":{"_type_":"x","_data_":1,"extra":true},' +
      '"a/b":[{"_type_":"decimal_str","_data_":"2"}]}';
    const { value, kinds } = decodeEventsourcingState(blob(text));
    assert.equal(value.timestamp, '2026-11-28T04:52:14.610059+00:00');
    assert.equal(value.amount, '0.10000000000000000001');
    assert.equal(value.owner, '11111111-2222-3333-4444-555555555555');
    assert.equal(value.big, 18446744073709551617n);
    assert.ok(Number.isNaN(value.ratio));
    assert.deepEqual(value.when, { _type_: 'date_iso', _data_: '2024-05-01' });
    assert.deepEqual(value.pair, { _type_: 'tuple_as_list', _data_: ['1.5', 2] });
    assert.deepEqual(value.not_a_transcoding, { _type_: 'x', _data_: 1, extra: true });
    assert.deepEqual(value['a/b'], ['2']);
    assert.deepEqual(kinds, {
      '/timestamp': 'datetime',
      '/amount': 'decimal',
      '/owner': 'uuid',
      '/big': 'bigint',
      '/ratio': 'nonfinite',
      '/when': 'custom:date_iso',
      '/pair': 'custom:tuple_as_list',
      '/pair/_data_/0': 'decimal',
      '/a~1b/0': 'decimal',
    });
  });

  it('re-encodes every fixture state byte for byte, so the demo writer matches the library', () => {
    for (const file of ['a_plain.db', 'b_zlib.db', 'a_plain_counters.db', 'd_pydantic_orjson.db']) {
      const zlib = file.startsWith('b_');
      for (const row of [...dumps.get(file)!.events, ...dumps.get(file)!.snapshots]) {
        // Node's zlib (Chromium's fork) compresses to other bytes than Python's, so compare the JSON inside.
        const original = zlib ? inflateSync(Buffer.from(row.hex, 'hex')) : Buffer.from(row.hex, 'hex');
        const again = encodeEventsourcingState(row.decoded);
        assert.ok(again.equals(original), `${file} ${row.originatorId}@${row.version}`);
        if (zlib) assert.ok(inflateSync(encodeEventsourcingState(row.decoded, { compress: true })).equals(original));
      }
    }
  });

  it('decrypts AES-GCM with the key and round-trips our own encryption', () => {
    const row = dumps.get('c_aes_zlib.db')!.events[0];
    const { value } = decodeEventsourcingState(Buffer.from(row.hex, 'hex'), { cipherKey: key });
    assert.equal(value.full_name, 'Alice Smith');
    const mine = encodeEventsourcingState({ a: 1 }, { compress: true, cipherKey: key });
    assert.deepEqual(decodeEventsourcingState(mine, { cipherKey: key }).value, { a: 1 });
    assert.deepEqual(describeStateEncoding(mine, key), { compression: 'zlib', encrypted: true });
    // (the library's blob, not `mine`: a random nonce starts like JSON or zlib ~2% of the time)
    assert.deepEqual(describeStateEncoding(Buffer.from(row.hex, 'hex')), { compression: 'unknown', encrypted: 'unknown' });
  });

  it('works with 16- and 24-byte keys', () => {
    for (const size of [16, 24]) {
      const k = randomBytes(size);
      const encoded = encodeEventsourcingState({ size }, { cipherKey: k });
      assert.deepEqual(decodeEventsourcingState(encoded, { cipherKey: parseCipherKey(k.toString('base64')) }).value, { size });
    }
  });

  it('gives clear errors: wrong key, missing key, bad key, truncated, damaged zlib, bz2/lzma', () => {
    const encrypted = Buffer.from(dumps.get('c_aes_zlib.db')!.events[0].hex, 'hex');
    assert.throws(() => decodeEventsourcingState(encrypted, { cipherKey: randomBytes(32) }), /cipher key does not decrypt/);
    assert.throws(
      () => decodeEventsourcingState(encrypted),
      (error: unknown) =>
        error instanceof MissingCipherKey &&
        isMissingCipherKey(error) &&
        error.message === 'the state looks encrypted and no cipher key was given',
      'a typed MissingCipherKey, whose message names no option of any face',
    );
    assert.ok(!isMissingCipherKey(new Error('wrapper', { cause: new Error('the state looks encrypted') })), 'typed, not by wording');
    assert.throws(() => parseCipherKey('not base64!'), /16, 24 or 32-byte/);
    assert.throws(() => parseCipherKey(randomBytes(20).toString('base64')), /got 20 bytes/);
    assert.throws(() => decodeEventsourcingState(blob('{"a": [1, 2')), /truncated/);
    assert.throws(() => decodeEventsourcingState(blob('')), /empty/);
    const zlib = deflateSync(blob('{"a":1}'));
    assert.throws(() => decodeEventsourcingState(zlib.subarray(0, zlib.length - 3)), /zlib-compressed state is damaged/);
    assert.throws(() => decodeEventsourcingState(blob('BZh91AY&SY')), /unsupported compression: .*bz2/);
    assert.throws(() => decodeEventsourcingState(Buffer.from('fd377a585a000004e6d6b446', 'hex')), /unsupported compression: .*lzma/);
    assert.throws(() => decodeEventsourcingState(blob('[1,2]')), /not an object/);
  });

  it('decodes a page of states as the store fetches them: bytes, JSON text, or hex of the bytes', () => {
    const zlib = deflateSync(blob('{"z":{"_type_":"uuid_hex","_data_":"11111111222233334444555555555555"}}'));
    const results = decodeEventsourcingStates([
      blob('{"a":1}'),
      '{"b":2}',
      zlib.toString('hex').toUpperCase(),
      zlib,
      '',
      Buffer.from('{"c":3}').toString('hex'),
      'zz',
    ]);
    assert.deepEqual(
      results.map((r) => (r instanceof Error ? r.message : r.value)),
      [
        { a: 1 },
        { b: 2 },
        { z: '11111111-2222-3333-4444-555555555555' },
        { z: '11111111-2222-3333-4444-555555555555' },
        'the state is empty',
        { c: 3 },
        'the state looks encrypted and no cipher key was given',
      ],
    );
    assert.ok(results[6] instanceof MissingCipherKey);
    assert.ok(!results.slice(0, 6).some((r) => r instanceof MissingCipherKey));
    const encrypted = [{ a: 1 }, { b: [2] }, { c: 'é' }].map((v) => encodeEventsourcingState(v, { compress: true, cipherKey: key }));
    const withKey = decodeEventsourcingStates([encrypted[0], encrypted[1].toString('hex'), '{"plain":true}', encrypted[2]], {
      cipherKey: key,
    });
    assert.deepEqual(
      withKey.map((r) => (r instanceof Error ? r.message : r.value)),
      [{ a: 1 }, { b: [2] }, { plain: true }, { c: 'é' }],
    );
    const library = Buffer.from(dumps.get('c_aes_zlib.db')!.events[0].hex, 'hex'); // (a random nonce may look like JSON)
    const wrong = decodeEventsourcingStates([library, library.toString('hex')], { cipherKey: randomBytes(32) });
    for (const r of wrong) assert.match(r instanceof Error ? r.message : '', /cipher key does not decrypt/);
  });

  it('keeps exact numbers wherever they are, and only those', () => {
    const { value, kinds } = decodeEventsourcingState(
      blob(
        '{"n":[1,{"deep":-123456789012345678901}],"f":1e300,"s":9007199254740991,"u":{"_type_":"uuid_hex","_data_":"AAAAAAAA222233334444555555555555"},"x":1.5}',
      ),
    );
    assert.deepEqual(value, {
      n: [1, { deep: -123456789012345678901n }],
      f: 1e300,
      s: 9007199254740991,
      u: 'aaaaaaaa-2222-3333-4444-555555555555',
      x: 1.5,
    });
    assert.deepEqual(kinds, { '/n/1/deep': 'bigint', '/u': 'uuid' });
    // not transcodings: a third key, a missing _data_, a non-string type
    const other = '{"a":{"_type_":"uuid_hex","_data_":"x","y":1},"b":{"_type_":"decimal_str"},"c":{"_type_":1,"_data_":"2"}}';
    assert.deepEqual(decodeEventsourcingState(blob(other)), { value: JSON.parse(other), kinds: {} });
  });

  it('decodes a plain store even when a key is given (a key for the wrong store is harmless)', () => {
    assert.deepEqual(decodeEventsourcingState(blob('{"a":1}'), { cipherKey: key }).value, { a: 1 });
  });
});
