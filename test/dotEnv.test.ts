import assert from 'node:assert/strict';
import { parseDotEnv } from '../src/core/dotEnv';

describe('.env files', () => {
  it('reads KEY=value lines, quotes, export prefixes and comments', () => {
    const text = [
      '# the app',
      'PERSISTENCE_MODULE=eventsourcing.sqlite',
      'export SQLITE_DBNAME = "data/bank.db"',
      "CIPHER_KEY='ZXZlbnRzb3VyY2luZy1maXh0dXJlLWtleS0zMmJ5dGU='",
      'COMPRESSOR_TOPIC=eventsourcing.compressor:ZlibCompressor # zlib',
      'not a line',
      'EMPTY=',
    ].join('\r\n');
    assert.deepEqual(parseDotEnv(text), {
      PERSISTENCE_MODULE: 'eventsourcing.sqlite',
      SQLITE_DBNAME: 'data/bank.db',
      CIPHER_KEY: 'ZXZlbnRzb3VyY2luZy1maXh0dXJlLWtleS0zMmJ5dGU=',
      COMPRESSOR_TOPIC: 'eventsourcing.compressor:ZlibCompressor',
      EMPTY: '',
    });
  });
});
