/** The built `eventscope` CLI over the fixtures: JSON shapes, tables, paging, exact values, demo. */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { displayWidth } from '../src/cli/table';
import { parseEventsFile } from '../src/core/eventsFile/eventsFile';
import { sqliteEngine, type EngineName } from '../src/core/sqlite/drivers';
import { dashed, expectedData, FIXTURE_KEY, readDumps } from './helpers/dumps';
import { copyFixture, makeTempDir, removeTempDirs, runCli } from './helpers/cli';

const dumps = readDumps();
const ENGINES: EngineName[] = ['better-sqlite3', 'node:sqlite'];

function json(args: string[], env: Record<string, string> = {}): unknown {
  const result = runCli([...args, '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

for (const engine of ENGINES) {
  describe(`eventscope CLI (${engine})`, () => {
    const env = { EVENTSCOPE_SQLITE_ENGINE: engine, EVENTSCOPE_CIPHER_KEY: FIXTURE_KEY };
    after(removeTempDirs);

    for (const [file, dump] of dumps) {
      it(`log --json prints every event of ${file} in the documented shape`, () => {
        const events = json(['log', copyFixture(file)], env) as Record<string, unknown>[];
        assert.deepEqual(
          events,
          dump.events.map((row) => {
            const data = expectedData(row.decoded) as Record<string, unknown>;
            return {
              streamId: dashed(row.originatorId),
              revision: row.version,
              position: row.rowid,
              type: row.topic,
              timestamp: data.timestamp,
              data,
              metadata: {},
            };
          }),
        );
        assert.deepEqual(Object.keys(events[0]), ['streamId', 'revision', 'position', 'type', 'timestamp', 'data', 'metadata']);
      });
    }

    it('streams: documented shape, pages with a cursor, filters', () => {
      const store = copyFixture('a_plain.db');
      const all = json(['streams', store], env) as Record<string, unknown>[];
      assert.equal(all.length, 5);
      assert.deepEqual(Object.keys(all[0]), ['streamId', 'category', 'count', 'lastRevision', 'firstType', 'label']);
      const first = runCli(['streams', store, '--limit', '2', '--json'], { env });
      const cursor = /--after (\S+)/.exec(first.stderr)?.[1];
      assert.ok(cursor, first.stderr);
      const second = json(['streams', store, '--limit', '2', '--after', cursor], env) as { streamId: string }[];
      assert.deepEqual(
        [...(JSON.parse(first.stdout) as { streamId: string }[]), ...second].map((s) => s.streamId),
        all.slice(0, 4).map((s) => s.streamId),
      );
      const dogs = json(['streams', store, '--category', 'Dog'], env) as { category: string }[];
      assert.deepEqual(
        dogs.map((s) => s.category),
        ['Dog', 'Dog'],
      );
      const prefixed = json(['streams', store, '--prefix', String(all[2].streamId).slice(0, 6)], env) as unknown[];
      assert.deepEqual(prefixed, [all[2]]);
    });

    it('events: from, limit, backwards; show: one event object', () => {
      const store = copyFixture('a_plain.db');
      const id = dashed(dumps.get('a_plain.db')!.events[0].originatorId);
      const events = json(['events', store, id], env) as { revision: number }[];
      assert.deepEqual(
        events.map((e) => e.revision),
        [1, 2, 3, 4],
      );
      const back = json(['events', store, id, '--backwards', '--from', '3', '--limit', '2'], env) as { revision: number }[];
      assert.deepEqual(
        back.map((e) => e.revision),
        [3, 2],
      );
      const shown = json(['show', store, id, '2'], env) as Record<string, unknown>;
      assert.deepEqual(shown, events[1]);
      const log = json(['log', store, '--from', '5', '--limit', '3', '--type', 'Debited', '--type', 'Dog.Registered'], env) as {
        position: number;
      }[];
      const expected = dumps
        .get('a_plain.db')!
        .events.filter((r) => r.rowid! >= 5 && (r.topic.endsWith('.Debited') || r.topic.endsWith(':Dog.Registered')))
        .slice(0, 3)
        .map((r) => r.rowid);
      assert.deepEqual(
        log.map((e) => e.position),
        expected,
      );
    });

    it('events --events-format prints the .events text format, which parses back to the same events', () => {
      const store = copyFixture('c_aes_zlib.db');
      const id = dashed(dumps.get('c_aes_zlib.db')!.events[0].originatorId);
      const events = json(['events', store, id], env) as { type: string; revision: number; data: unknown }[];
      const text = runCli(['events', store, id, '--events-format', '--limit', '3'], { env });
      assert.equal(text.code, 0, text.stderr);
      const parsed = parseEventsFile(text.stdout);
      assert.deepEqual(
        parsed.map((e) => [e.type, e.streamId, e.revision, e.data]),
        events.slice(0, 3).map((e) => [e.type, id, e.revision, e.data]),
      );
      assert.equal(runCli(['log', store, '--json', '--events-format'], { env }).code, 2);
    });

    it('info --json: counts, categories, checkpoints with lag from --upstream', () => {
      const info = json(['info', copyFixture('a_plain_counters.db'), '--upstream', copyFixture('a_plain.db')], env) as Record<
        string,
        unknown
      >;
      assert.equal(info.events, 9);
      assert.equal(info.engine, engine);
      assert.deepEqual(info.categories, [{ name: 'Counter', topic: 'dogschool.domainmodel:Counter', streams: 4 }]);
      assert.deepEqual(info.checkpoints, [{ name: 'FixtureApp', position: 21, lag: 0 }]);
    });

    it('prints integers beyond 2^53 exactly, decimals as exact strings, NaN/Infinity as strings', () => {
      const store = copyFixture('a_plain.db');
      const db = sqliteEngine(engine).open(store, { write: true });
      const state =
        '{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-11-28T05:00:00+00:00"}, "big": 123456789012345678901234567890, ' +
        '"neg": -9007199254740993, "nan": NaN, "inf": Infinity, "ninf": -Infinity, "price": {"_type_": "decimal_str", "_data_": "0.1000000000000000000001"}}';
      db.prepare('INSERT INTO stored_events VALUES (?, ?, ?, ?)').run('text-id-1', 1, 'app:Thing.Created', Buffer.from(state));
      db.close();
      const result = runCli(['show', store, 'text-id-1', '1', '--json'], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /"big": 123456789012345678901234567890,/);
      assert.match(result.stdout, /"neg": -9007199254740993,/);
      assert.match(result.stdout, /"nan": "NaN",\s+"inf": "Infinity",\s+"ninf": "-Infinity"/);
      assert.match(result.stdout, /"price": "0.1000000000000000000001"/);
      const table = runCli(['events', store, 'text-id-1'], { env });
      assert.match(table.stdout, /"big":123456789012345678901234567890/);
    });

    it('prints aligned tables without colour when not on a terminal', () => {
      const result = runCli(['streams', copyFixture('a_plain.db')], { env: { ...env, NO_COLOR: '' } });
      assert.equal(result.code, 0);
      const lines = result.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^STREAM\s+LABEL\s+CATEGORY\s+EVENTS\s+LAST REV\s+FIRST TYPE$/);
      // Aligned on a terminal's columns: a label with an emoji (two columns) is padded one less.
      const column = lines[0].indexOf('CATEGORY');
      const fromColumn = (line: string) => {
        let used = 0;
        let i = 0;
        for (const char of line) {
          if (used >= column) break;
          used += displayWidth(char);
          i += char.length;
        }
        return line.slice(i);
      };
      assert.ok(lines.some((l) => l.includes('🐶')));
      for (const line of lines.slice(1)) assert.match(fromColumn(line), /^(BankAccount|Dog) /);
      assert.ok(!result.stdout.includes('\x1b['), 'no ANSI colour codes');
    });
  });
}

describe('eventscope demo', () => {
  after(removeTempDirs);

  it('writes the demo store, prints its path, and refuses to overwrite without --force', () => {
    const path = join(makeTempDir(), 'sub', 'demo.sqlite');
    const first = runCli(['demo', path]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), path);
    assert.ok(existsSync(path));
    const again = runCli(['demo', path]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists; pass --force/);
    const forced = runCli(['demo', path, '--force', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(JSON.parse(forced.stdout), { path, events: 330, streams: 18 });
    const info = json(['info', path]) as { events: number; categories: { name: string }[] };
    assert.equal(info.events, 330);
    assert.deepEqual(
      info.categories.map((c) => c.name),
      ['BankAccount', 'Dog'],
    );
  });
});
