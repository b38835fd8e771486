/**
 * `.events` and JSON lines files as stores in the built CLI: `streams`, `events`, `log`, `show`,
 * `info` and `replay` read them as they read a database, and the demo store written out as
 * `log --ndjson` (or `--events-format`) reads back as the same events.
 */

import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEMO_STORY } from '../src/core/demo';
import { makeTempDir, removeTempDirs, runCli, type RunResult } from './helpers/cli';
import { FIXTURE_EVENTS } from './helpers/eventsFiles';

function ok(r: RunResult): RunResult {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  return r;
}

const json = (args: string[]) => JSON.parse(ok(runCli([...args, '--json'])).stdout) as Record<string, unknown>[];

describe('eventscope CLI on .events and JSON lines files', function () {
  this.timeout(60_000);
  let dir: string;
  let fixture: string;
  let demo: string;

  before(() => {
    dir = makeTempDir('eventscope-files-');
    fixture = join(dir, 'fixtures.events');
    writeFileSync(fixture, FIXTURE_EVENTS);
    demo = join(dir, 'demo.sqlite');
    ok(runCli(['demo', demo]));
  });
  after(removeTempDirs);

  it('streams, events, log, show and info read a .events file', () => {
    assert.deepEqual(json(['streams', fixture]), [
      { streamId: 'account-1', category: 'BankAccount', count: 3, lastRevision: 3, firstType: 'BankAccount.Opened', label: 'Alice' },
      { streamId: 'account-2', category: 'BankAccount', count: 1, lastRevision: 1, firstType: 'BankAccount.Opened', label: 'Bob' },
      { streamId: 'order-7', category: 'order', count: 1, lastRevision: 1, firstType: 'OrderPlaced', label: 'X-1' },
    ]);
    assert.deepEqual(
      json(['streams', fixture, '--category', 'order']).map((s) => s.streamId),
      ['order-7'],
    );
    const events = json(['events', fixture, 'account-1']);
    assert.deepEqual(
      events.map((e) => [e.revision, e.position, e.type, e.timestamp]),
      [
        [1, 1, 'BankAccount.Opened', '2026-01-01T10:00:00Z'],
        [2, 3, 'BankAccount.Credited', null],
        [3, 5, 'BankAccount.Debited', null],
      ],
    );
    assert.deepEqual(events[0].metadata, { correlationId: 'c-1' });
    // Exact values stay exact, and --typed says what they are.
    const typed = ok(runCli(['show', fixture, 'account-1', '1', '--json', '--typed'])).stdout;
    assert.match(typed, /"big": 123456789012345678901234567890/);
    assert.deepEqual((JSON.parse(typed.replace(/\d{20,}/, '0')) as { kinds: unknown }).kinds, { '/big': 'bigint' });
    assert.deepEqual(
      json(['log', fixture, '--type', 'Opened']).map((e) => e.streamId),
      ['account-1', 'account-2'],
    );
    assert.deepEqual(
      json(['log', fixture, '--backwards', '--limit', '2']).map((e) => e.position),
      [5, 4],
    );
    // The start of a stream's id names it, as in any store.
    assert.match(ok(runCli(['show', fixture, 'order', '1'])).stdout, /^Stream +order-7$/m);
    assert.match(
      runCli(['show', fixture, 'acc', '1']).stderr,
      /"acc" starts 2 stream ids in \S+fixtures\.events: account-1, account-2; give more/,
    );
    const info = ok(runCli(['info', fixture])).stdout;
    assert.match(info, /^Kind +events file \(\.events \/ JSON lines\), opened read-only with \.events text, read whole$/m);
    assert.match(info, /^Events +5 \(head position 5\)$/m);
    assert.match(info, /^BankAccount +2 *$/m);
    const infoJson = JSON.parse(ok(runCli(['info', fixture, '--json'])).stdout) as Record<string, unknown>;
    assert.deepEqual([infoJson.kind, infoJson.location, infoJson.streams], ['events-file', resolve(fixture), 3]);
  });

  it('the demo store written with log --ndjson reads back as the same events (--typed too), and replays to the same failure', () => {
    const jsonl = join(dir, 'demo.jsonl');
    writeFileSync(jsonl, ok(runCli(['log', demo, '--ndjson', '--typed'])).stdout);
    assert.equal(ok(runCli(['log', jsonl, '--ndjson', '--typed'])).stdout, ok(runCli(['log', demo, '--ndjson', '--typed'])).stdout);
    assert.equal(ok(runCli(['streams', jsonl, '--json'])).stdout, ok(runCli(['streams', demo, '--json'])).stdout);
    const ndjson = join(dir, 'demo.ndjson');
    writeFileSync(ndjson, ok(runCli(['log', demo, '--ndjson'])).stdout);
    const account = String(json(['log', demo, '--type', DEMO_STORY.eventType, '--limit', '1'])[0].streamId);
    assert.equal(ok(runCli(['events', ndjson, account, '--json'])).stdout, ok(runCli(['events', demo, account, '--json'])).stdout);

    const bank = resolve(__dirname, '..', 'examples', 'bank-balances.js');
    const replays = [demo, jsonl].map((store) => runCli(['replay', store, '--projection', bank, '--until-invariant-fails', '--json']));
    for (const r of replays) assert.equal(r.code, 3, r.stderr);
    const [fromStore, fromFile] = replays.map((r) => JSON.parse(r.stdout) as Record<string, unknown>);
    assert.deepEqual(fromFile.firstFailure, fromStore.firstFailure);
    assert.deepEqual(fromFile.state, fromStore.state);
    assert.equal(replays[1].stderr, replays[0].stderr);
  });

  it('the demo store written with log --events-format reads back with the same streams, revisions and data', () => {
    const events = join(dir, 'demo.events');
    writeFileSync(events, ok(runCli(['log', demo, '--events-format'])).stdout);
    const strip = (list: Record<string, unknown>[]) => list.map(({ position: _position, ...rest }) => rest);
    assert.deepEqual(strip(json(['log', events])), strip(json(['log', demo])));
    assert.deepEqual(json(['streams', events]), json(['streams', demo]));
  });

  it('replays a .events file whole (named by the file), or one stream or category of it', () => {
    const whole = ok(runCli(['replay', fixture])).stdout;
    assert.match(whole, /^Source +fixtures\.events$/m);
    assert.match(whole, /^Steps +5 /m);
    const stream = ok(runCli(['replay', fixture, '--stream', 'account-1', '--json']));
    assert.equal((JSON.parse(stream.stdout) as { steps: number }).steps, 3);
    const category = ok(runCli(['replay', fixture, '--category', 'order']));
    assert.match(category.stdout, /^Source +order streams of fixtures\.events$/m);
    assert.match(category.stdout, /^Steps +1 /m);
  });

  it('a bad line, an unknown stream or too large a file is one sentence naming the file (and the line)', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"streamId": "a-1", "type": "Opened"}\n\n{"streamId": "a-1", "type": "Closed", data: 1}\n');
    const r = runCli(['log', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^eventscope: \S+bad\.jsonl:3: the line is not valid JSON \(.+\)\.\n$/);
    assert.equal(r.stdout, '');
    const noType = join(dir, 'no-type.jsonl');
    writeFileSync(noType, '{"streamId": "a-1"}\n');
    assert.match(runCli(['streams', noType]).stderr, /no-type\.jsonl:1: the event needs "type", a text\.\n$/);
    const missing = runCli(['events', fixture, 'nope-1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /There is no stream "nope-1" in \S+fixtures\.events\./);
    // A sparse file: large, without writing 200 MB.
    const big = join(dir, 'big.events');
    writeFileSync(big, '');
    truncateSync(big, 201 * 1024 * 1024);
    const large = runCli(['info', big]);
    assert.equal(large.code, 1);
    assert.match(large.stderr, /big\.events is 201 MB, more than the 200 MB of \.events and JSON lines files Eventscope reads/);
  });
});
