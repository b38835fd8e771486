/**
 * The CLI keeps its word on a store bigger than a page: `--limit N` prints exactly N (or all
 * there are) however the store pages, `--json` stays one valid array and `--ndjson` one value a
 * line at any size, output waits for a slow reader, and progress shows only where asked.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseEventsFile } from '../src/core/eventsFile/eventsFile';
import {
  CLI,
  copyFixture,
  makeTempDir,
  removeTempDirs,
  runCli,
  writeManyStreamsStore,
  type ManyStreamsStore,
  type RunResult,
} from './helpers/cli';

/** More streams than the store returns in one page (10,000), plus one stream of 2,500 events. */
const STREAMS = 10_500;
const BIG_STREAM_EVENTS = 2_500;

function ok(r: RunResult): RunResult {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  return r;
}

const ndjsonLines = (r: RunResult) => {
  ok(r);
  const lines = r.stdout.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
};

const jsonArray = (r: RunResult) => {
  ok(r);
  const value = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.ok(Array.isArray(value));
  return value;
};

/** Progress lines in stderr: `\r\x1b[K 12,000 events…` -> 12000. */
const progressCounts = (stderr: string, noun: string) =>
  [...stderr.matchAll(new RegExp(`\\r\\x1b\\[K ([\\d,]+) ${noun}…`, 'g'))].map((m) => Number(m[1].replace(/,/g, '')));

/** One stderr line `eventscope: …` pointing to the help, exit 2, nothing on stdout. */
function assertUsage(r: RunResult, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^eventscope: [^\n]+ \(see "eventscope \w+ --help"\)\n$/);
  assert.match(r.stderr, pattern);
}

describe('CLI on a store bigger than a page', function () {
  this.timeout(60_000);
  let store: ManyStreamsStore;
  let total: number;

  before(() => {
    store = writeManyStreamsStore(join(makeTempDir(), 'many.sqlite'), STREAMS, BIG_STREAM_EVENTS);
    total = store.streamIds.length;
  });
  after(removeTempDirs);

  it('streams --limit N prints exactly N, past the store page cap, and all there are for a bigger N', () => {
    const some = runCli(['streams', store.path, '--limit', '10200', '--ndjson']);
    const lines = ndjsonLines(some);
    assert.equal(lines.length, 10_200);
    assert.deepEqual(
      lines.map((s) => s.streamId),
      store.streamIds.slice(0, 10_200),
    );
    assert.match(some.stderr, /^more streams: --after \S+\n$/);

    const all = runCli(['streams', store.path, '--limit', '1000000', '--json']);
    const streams = jsonArray(all);
    assert.equal(streams.length, total);
    assert.deepEqual(
      streams.map((s) => s.streamId),
      store.streamIds,
    );
    assert.deepEqual(streams[0], {
      streamId: store.streamIds[0],
      category: 'Account',
      count: 1,
      lastRevision: 1,
      firstType: 'bank.domain:Account.Opened',
      label: 'Holder 1',
    });
    assert.equal(all.stderr, '', 'no cursor when everything was printed, no progress when stderr is not a terminal');
  });

  it('streams without --limit prints one page and the cursor; --after goes on from there in the same order', () => {
    const first = ok(runCli(['streams', store.path]));
    const rows = first.stdout.trimEnd().split('\n');
    assert.match(rows[0], /^STREAM\s+LABEL\s+CATEGORY/);
    assert.equal(rows.filter((r) => /^[0-9a-f]{8}-/.test(r)).length, 100);
    const cursor = /More streams: add --after (\S+)$/.exec(first.stdout.trimEnd())?.[1];
    assert.ok(cursor, first.stdout.slice(-300));
    const rest = ndjsonLines(runCli(['streams', store.path, '--after', cursor, '--limit', '100000', '--ndjson']));
    assert.deepEqual(
      rest.map((s) => s.streamId),
      store.streamIds.slice(100),
    );
    // The cursor of a --json listing (stderr) works the same way, for a category too.
    const byCategory = runCli(['streams', store.path, '--category', 'Account', '--limit', '2400', '--json']);
    assert.equal(jsonArray(byCategory).length, 2400);
    const next = /--after (\S+)/.exec(byCategory.stderr)?.[1];
    assert.ok(next, byCategory.stderr);
    const more = jsonArray(runCli(['streams', store.path, '--category', 'Account', '--after', next, '--limit', '3', '--json']));
    assert.deepEqual(
      more.map((s) => s.streamId),
      store.streamIds.slice(2400, 2403),
    );
  });

  it('a cursor from another store, or with other filters, exits 2 with one line', () => {
    const other = copyFixture('a_plain.db');
    const fromOther = /--after (\S+)/.exec(runCli(['streams', other, '--limit', '1', '--json']).stderr)?.[1];
    assert.ok(fromOther);
    assertUsage(runCli(['streams', store.path, '--after', fromOther]), /the --after cursor is not from .*many\.sqlite/);
    const cursor = /--after (\S+)/.exec(runCli(['streams', store.path, '--limit', '5', '--json']).stderr)?.[1];
    assert.ok(cursor);
    assertUsage(runCli(['streams', store.path, '--after', cursor, '--category', 'Account']), /other filters/);
    assertUsage(runCli(['streams', store.path, '--after', cursor, '--prefix', '0000']), /other filters/);
    assertUsage(
      runCli(['streams', store.path, '--after', cursor.slice(0, -3)]),
      /is not a cursor that "eventscope streams" printed \(or not all/,
    );
    assertUsage(runCli(['streams', store.path, '--after', 'eyJhZnRlciI6IjAwMCJ9']), /is not a cursor that "eventscope streams" printed/);
  });

  it('events and log: --limit across pages, whole reads as one valid JSON array or NDJSON', () => {
    const id = store.bigStreamId;
    const some = jsonArray(runCli(['events', store.path, id, '--limit', '2400', '--json']));
    assert.deepEqual(
      some.map((e) => e.revision),
      Array.from({ length: 2400 }, (_, i) => i + 1),
    );
    const back = ndjsonLines(runCli(['events', store.path, id, '--backwards', '--limit', '1500', '--ndjson']));
    assert.deepEqual(
      back.map((e) => e.revision),
      Array.from({ length: 1500 }, (_, i) => BIG_STREAM_EVENTS - i),
    );
    const whole = jsonArray(runCli(['events', store.path, id, '--json']));
    assert.equal(whole.length, BIG_STREAM_EVENTS);

    const log = runCli(['log', store.path, '--json']);
    const events = jsonArray(log);
    assert.equal(events.length, store.events);
    assert.deepEqual(
      events.map((e) => e.position),
      Array.from({ length: store.events }, (_, i) => i + 1),
    );
    assert.equal(log.stderr, '', 'no progress when stderr is not a terminal');
    assert.deepEqual(Object.keys(events[1]), ['streamId', 'revision', 'position', 'type', 'timestamp', 'data', 'metadata']);
    assert.equal(ndjsonLines(runCli(['log', store.path, '--ndjson', '--limit', '1500', '--from', '10'])).length, 1500);
    const credited = ndjsonLines(runCli(['log', store.path, '--ndjson', '--type', 'Credited']));
    assert.equal(credited.length, (STREAMS / 10) * 2 + BIG_STREAM_EVENTS - 1);
    assert.ok(credited.every((e) => e.type === 'bank.domain:Account.Credited'));
  });

  it('--events-format across pages parses back to every event', () => {
    const text = ok(runCli(['events', store.path, store.bigStreamId, '--events-format']));
    const parsed = parseEventsFile(text.stdout);
    assert.equal(parsed.length, BIG_STREAM_EVENTS);
    assert.deepEqual(
      parsed.slice(998, 1002).map((e) => e.revision),
      [999, 1000, 1001, 1002],
    );
  });

  it('tables stay aligned across pages', () => {
    const table = ok(runCli(['log', store.path, '--limit', '2500']));
    const lines = table.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2501);
    const column = lines[0].indexOf('STREAM');
    for (const line of lines.slice(1)) assert.match(line.slice(column), /^[0-9a-f]{8}-/);
  });

  it('progress: on stderr when forced (EVENTSCOPE_PROGRESS=1), counting up and cleared at the end', () => {
    const log = runCli(['log', store.path, '--ndjson'], { env: { EVENTSCOPE_PROGRESS: '1' } });
    assert.equal(ndjsonLines(log).length, store.events);
    const counts = progressCounts(log.stderr, 'events');
    assert.ok(counts.length >= 1, JSON.stringify(log.stderr));
    assert.equal(counts[0], 1000);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => a - b),
    );
    assert.ok(log.stderr.endsWith('\r\x1b[K'), 'the line is cleared at the end');
    const streams = runCli(['streams', store.path, '--limit', '3000', '--json'], { env: { EVENTSCOPE_PROGRESS: '1' } });
    assert.equal(jsonArray(streams).length, 3000);
    assert.equal(progressCounts(streams.stderr, 'streams')[0], 1000);
    const cursorLine = streams.stderr.slice(streams.stderr.lastIndexOf('\r\x1b[K') + 4);
    assert.match(cursorLine, /^more streams: --after \S+\n$/, 'the line is cleared before the cursor');
    assert.equal(runCli(['log', store.path, '--ndjson'], { env: { EVENTSCOPE_PROGRESS: '0' } }).stderr, '');
  });

  it('waits for a slow reader: reads no further ahead than the pipe holds, then finishes', async () => {
    const child = spawn(process.execPath, [CLI, 'log', store.path, '--json'], {
      env: { ...process.env, EVENTSCOPE_PROGRESS: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    // Nobody reads stdout for a second: the CLI must stop at the first page or two.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ahead = Math.max(0, ...progressCounts(stderr, 'events'));
    assert.ok(!exitedEarly, 'still waiting for the reader');
    assert.ok(ahead >= 1000 && ahead <= 3000, `read ${ahead} of ${store.events} events ahead of a reader that reads nothing`);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    assert.equal(await exited, 0, stderr);
    assert.equal((JSON.parse(stdout) as unknown[]).length, store.events);
  });
});
