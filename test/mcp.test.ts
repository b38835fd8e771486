/**
 * `eventscope mcp` through the official SDK's own client over stdio, as an agent's client runs it:
 * the tools and their schemas, each tool on the project's fixtures (test/fixtures; the encrypted
 * one with its key from the environment) and the demo store, `find_first_failure` finding the
 * demo's broken balance, failures as `isError` results with one sentence, sealed expressions, and
 * store files left byte for byte as they were.
 */

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Database from 'better-sqlite3';
import { writeDemoStore } from '../src/core/demo';
import { CLI, copyFixture, makeTempDir, removeTempDirs, sha256 } from './helpers/cli';
import { dashed, expectedData, FIXTURE_KEY, readDumps } from './helpers/dumps';

const ROOT = resolve(__dirname, '..');
const BANK_BALANCES = join(ROOT, 'examples', 'bank-balances.js');
const TOOL_NAMES = ['store_info', 'list_streams', 'read_stream', 'read_log', 'show_event', 'search_events', 'replay', 'find_first_failure'];

interface Session {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

async function connect(args: string[], env: Record<string, string> = {}): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    cwd: ROOT,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'eventscope-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

async function call(session: Session, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await session.client.callTool({ name, arguments: args })) as CallToolResult;
}

/** A successful call's structured answer (the SDK client has checked it against the tool's outputSchema). */
async function answer(session: Session, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await call(session, name, args);
  const text = (result.content[0] as { text: string }).text;
  assert.ok(!result.isError, `${name} failed: ${text}`);
  assert.ok(text.length > 0);
  return result.structuredContent as Record<string, unknown>;
}

/** A failed call's one sentence. */
async function failure(session: Session, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(session, name, args);
  assert.equal(result.isError, true, `${name} should fail: ${JSON.stringify(result.structuredContent)?.slice(0, 300)}`);
  const text = (result.content[0] as { text: string }).text;
  assert.ok(!/\n\s+at /.test(text), `no stack trace: ${text}`);
  return text;
}

type Event = { streamId: string; revision: number; position: number; type: string; data: Record<string, unknown> };

describe('eventscope mcp (the SDK client over stdio)', function () {
  this.timeout(120_000);
  let demo: string;
  let demoSha: string;
  let session: Session;

  before(async () => {
    demo = join(makeTempDir(), 'demo.sqlite');
    writeDemoStore(demo);
    demoSha = sha256(demo);
    session = await connect(['--store', demo, '--allow-code']);
  });
  after(async () => {
    await session?.close();
    assert.equal(sha256(demo), demoSha, 'the demo store is byte for byte as it was');
    removeTempDirs();
  });

  it('lists the eight tools with input and output schemas', async () => {
    const { tools } = await session.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object', tool.name);
      assert.equal(tool.outputSchema?.type, 'object', tool.name);
      assert.ok((tool.description ?? '').length > 40, tool.name);
      assert.equal(tool.annotations?.readOnlyHint, true);
    }
    const search = tools.find((t) => t.name === 'search_events')!;
    assert.deepEqual(search.inputSchema.required, ['where']);
  });

  it('store_info: kind, counts and categories of the demo store, as SQL counts them', async () => {
    const info = await answer(session, 'store_info', {});
    const db = new Database(demo, { readonly: true });
    try {
      const count = (db.prepare('SELECT COUNT(*) AS n FROM stored_events').get() as { n: number }).n;
      const streams = (db.prepare('SELECT COUNT(DISTINCT originator_id) AS n FROM stored_events').get() as { n: number }).n;
      const topics = (db.prepare('SELECT DISTINCT topic FROM stored_events').all() as { topic: string }[]).map((r) => r.topic).sort();
      assert.equal(info.events, count);
      assert.equal(info.streams, streams);
      assert.deepEqual([...(info.eventTypes as string[])].sort(), topics);
    } finally {
      db.close();
    }
    assert.equal(info.store, demo);
    assert.match(info.kind as string, /eventsourcing/i);
    const categories = info.categories as { name: string; streams: number }[];
    assert.deepEqual(categories.map((c) => c.name).sort(), ['BankAccount', 'Dog']);
    assert.equal(
      categories.reduce((n, c) => n + c.streams, 0),
      info.streams,
    );
  });

  it('list_streams pages with its cursor through every stream once; category and prefix narrow it', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await answer(session, 'list_streams', { limit: 5, ...(cursor ? { cursor } : {}) });
      const streams = page.streams as { streamId: string; count: number }[];
      assert.ok(streams.length <= 5 && streams.length > 0);
      seen.push(...streams.map((s) => s.streamId));
      cursor = page.next as string | undefined;
      pages++;
    } while (cursor);
    const info = await answer(session, 'store_info', {});
    assert.equal(seen.length, info.streams);
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(pages, Math.ceil(seen.length / 5));
    const dogs = await answer(session, 'list_streams', { category: 'Dog' });
    const dogStreams = dogs.streams as { category: string; label?: string }[];
    assert.equal(dogStreams.length, 6);
    assert.ok(dogStreams.every((s) => s.category === 'Dog'));
    const prefix = seen[0].slice(0, 6);
    const prefixed = await answer(session, 'list_streams', { prefix });
    assert.ok((prefixed.streams as { streamId: string }[]).every((s) => s.streamId.startsWith(prefix)));
    assert.match(await failure(session, 'list_streams', { cursor: 'nonsense' }), /cursor/);
  });

  it('read_stream, read_log and show_event: the events as stored, paged; show_event whole', async () => {
    const db = new Database(demo, { readonly: true });
    const rows = db.prepare('SELECT rowid, originator_id, originator_version, topic FROM stored_events ORDER BY rowid').all() as {
      rowid: number;
      originator_id: string;
      originator_version: number;
      topic: string;
    }[];
    db.close();
    const log = await answer(session, 'read_log', { fromPosition: 10, limit: 5 });
    const events = log.events as Event[];
    assert.deepEqual(
      events.map((e) => [e.position, e.type]),
      rows.slice(9, 14).map((r) => [r.rowid, r.topic]),
    );
    assert.deepEqual(log.next, { fromPosition: 15 });

    const dana = rows.find((r) => r.rowid === 226)!;
    const streamId = dashed(dana.originator_id);
    const stream = await answer(session, 'read_stream', { streamId: streamId.slice(0, 8), limit: 4 });
    assert.equal(stream.streamId, streamId, 'a unique prefix names the stream');
    assert.deepEqual(
      (stream.events as Event[]).map((e) => e.revision),
      [1, 2, 3, 4],
    );
    const back = await answer(session, 'read_stream', { streamId, backwards: true, limit: 2 });
    const last = rows.filter((r) => r.originator_id === dana.originator_id).at(-1)!;
    assert.deepEqual(
      (back.events as Event[]).map((e) => e.revision),
      [last.originator_version, last.originator_version - 1],
    );

    const shown = await answer(session, 'show_event', { streamId, revision: dana.originator_version });
    const event = shown.event as Event;
    assert.equal(event.position, 226);
    assert.equal(event.data.amount, '827.93');
    assert.equal((shown.kinds as Record<string, string>)['/amount'], 'decimal');
    assert.match(await failure(session, 'show_event', { streamId, revision: 999 }), /has no revision 999/);

    const typed = await answer(session, 'read_log', { types: ['Debited'], limit: 3 });
    assert.ok((typed.events as Event[]).every((e) => e.type.endsWith('.Debited')));
    assert.match(await failure(session, 'read_log', { types: ['Withdrawn'] }), /no events of type "Withdrawn".*Debited/);
  });

  it('search_events: the events where the expression holds, as a plain read of the log finds them', async () => {
    const found = await answer(session, 'search_events', { where: 'Number(event.data.amount) > 700', limit: 100 });
    const matches = found.events as Event[];
    const all: Event[] = [];
    for (let from = 1; ;) {
      const page = await answer(session, 'read_log', { fromPosition: from, limit: 200 });
      all.push(...(page.events as Event[]));
      if (!page.next) break;
      from = (page.next as { fromPosition: number }).fromPosition;
    }
    const expected = all.filter((e) => Number(e.data.amount) > 700).map((e) => e.position);
    assert.ok(expected.length > 3);
    assert.deepEqual(
      matches.map((e) => e.position),
      expected,
    );
    assert.equal(found.scanned, all.length);
    // Paged: the second page starts where the first ended.
    const first = await answer(session, 'search_events', { where: 'Number(event.data.amount) > 700', limit: 2 });
    const second = await answer(session, 'search_events', {
      where: 'Number(event.data.amount) > 700',
      limit: 2,
      fromPosition: (first.next as { fromPosition: number }).fromPosition,
    });
    assert.deepEqual(
      [...(first.events as Event[]), ...(second.events as Event[])].map((e) => e.position),
      expected.slice(0, 4),
    );
    const inStream = await answer(session, 'search_events', { where: 'event.revision > 20', streamId: all[0].streamId });
    assert.ok((inStream.events as Event[]).every((e) => e.streamId === all[0].streamId && e.revision > 20));
    // In one stream, paged too.
    const ofStream = all.filter((e) => e.streamId === all[0].streamId).map((e) => e.revision);
    const revisions: number[] = [];
    for (let from: number | undefined = undefined, pages = 0; pages === 0 || from !== undefined; pages++) {
      const page = await answer(session, 'search_events', {
        where: 'true',
        streamId: all[0].streamId,
        limit: 5,
        ...(from ? { fromPosition: from } : {}),
      });
      revisions.push(...(page.events as Event[]).map((e) => e.revision));
      from = (page.next as { fromPosition?: number } | undefined)?.fromPosition;
    }
    assert.deepEqual(revisions, ofStream);
    assert.match(await failure(session, 'search_events', { where: 'true', types: ['Withdrawn'] }), /no events of type "Withdrawn"/);
  });

  it("find_first_failure finds the demo's broken balance (step 226), with the projection's invariant or one given", async () => {
    const own = await answer(session, 'find_first_failure', { projection: BANK_BALANCES });
    assert.equal(own.found, true);
    assert.equal(own.step, 226);
    assert.equal(own.error, "Dana Whitfield's balance is -787.93");
    const event = own.event as Event;
    assert.equal(event.position, 226);
    assert.match(event.type, /Debited$/);
    const before = own.stateBefore as { balances: Record<string, number> };
    const after = own.stateAfter as { balances: Record<string, number> };
    assert.equal(after.balances[event.streamId], -78793);
    assert.equal(before.balances[event.streamId], -78793 + 82793);
    assert.ok((own.changes as { path: unknown[] }[]).some((c) => JSON.stringify(c.path) === JSON.stringify(['balances', event.streamId])));
    assert.equal((own.preceding as Event[]).length, 3);
    assert.ok((own.preceding as Event[]).every((e) => e.streamId === event.streamId && e.revision < event.revision));

    const given = await answer(session, 'find_first_failure', {
      projection: BANK_BALANCES,
      invariant: 'Object.values(state.balances).every((b) => b >= 0)',
    });
    assert.equal(given.step, 226);
    const holds = await answer(session, 'find_first_failure', { invariant: 'event.revision < 1000' });
    assert.equal(holds.found, false);
    assert.equal(holds.steps, 330);
    // The generic projection, per stream: the first stream to reach its 20th event.
    const generic = await answer(session, 'find_first_failure', { invariant: 'state.streams[event.streamId].events < 20' });
    assert.equal((generic.event as Event).revision, 20);
    assert.equal(generic.partition, (generic.event as Event).streamId);
  });

  it('replay: the summary, the first failure, the state at a step and what it changed', async () => {
    const replay = await answer(session, 'replay', { projection: BANK_BALANCES, atStep: 226 });
    assert.equal(replay.steps, 330);
    assert.equal((replay.firstFailure as { step: number }).step, 226);
    assert.equal((replay.breaks as { count: number }).count, 1);
    assert.equal(replay.atStep, 226);
    assert.equal((replay.stepEvent as Event).position, 226);
    const state = replay.state as { balances: Record<string, number> };
    assert.equal(state.balances[(replay.stepEvent as Event).streamId], -78793);
    const streamId = (replay.stepEvent as Event).streamId;
    const stream = await answer(session, 'replay', { stream: streamId.slice(0, 8) });
    const db = new Database(demo, { readonly: true });
    const count = (
      db.prepare('SELECT COUNT(*) AS n FROM stored_events WHERE originator_id = ?').get(streamId.replaceAll('-', '')) as { n: number }
    ).n;
    db.close();
    assert.equal(stream.steps, count);
    assert.ok(count > 5);
    const generic = await answer(session, 'replay', { category: 'Dog', invariant: 'event.revision < 5' });
    assert.ok((generic.breaks as { count: number }).count > 0);
    assert.ok(String(generic.source).includes('Dog'));
  });

  it('errors are isError results with one sentence, and the server goes on', async () => {
    assert.match(await failure(session, 'store_info', { store: '/no/such/store.sqlite' }), /\/no\/such\/store\.sqlite/);
    assert.match(await failure(session, 'search_events', { where: 'event.data.amount >' }), /not a JavaScript expression/);
    assert.match(await failure(session, 'read_stream', {}), /needs the argument "streamId"/);
    assert.match(await failure(session, 'read_log', { limit: 'ten' }), /"limit" must be a whole number/);
    assert.match(await failure(session, 'nope', {}), /no tool "nope"/);
    assert.match(await failure(session, 'replay', { projection: '/no/such/projection.js' }), /no\/such\/projection\.js/);
    assert.match(await failure(session, 'find_first_failure', {}), /Give an invariant/);
    assert.equal((await answer(session, 'store_info', {})).store, demo);
  });

  it('expressions cannot reach process, require or the host; one that eats memory ends its worker, not the server', async () => {
    for (const where of ['process.exit(3)', 'require("fs")', 'globalThis.process.env']) {
      const found = await answer(session, 'search_events', { where, limit: 1 });
      assert.equal((found.events as Event[]).length, 0);
      assert.match((found.expressionErrors as { first: string }).first, /is not defined|Cannot read properties of undefined/);
    }
    const escaped = await answer(session, 'search_events', { where: 'event.constructor.constructor("return process")()' });
    assert.equal((escaped.events as Event[]).length, 0);
    assert.match((escaped.expressionErrors as { first: string }).first, /Code generation from strings/);
    assert.match(await failure(session, 'search_events', { where: 'import("fs")' }), /import is not available/);
    const escape = await answer(session, 'find_first_failure', {
      invariant: 'state.constructor.constructor("return process")().exit(7) || true',
    });
    assert.equal(escape.found, true);
    assert.equal(escape.step, 1);
    assert.match(escape.error as string, /Code generation from strings/);
    const env = await answer(session, 'find_first_failure', {
      invariant: 'typeof process === "undefined" && typeof require === "undefined"',
    });
    assert.equal(env.found, false, 'no process, no require in an invariant');
    // A stray rejected promise ends neither the search worker nor the replay worker.
    const stray = await answer(session, 'search_events', { where: '(Promise.reject(new Error("x")), event.revision === 1)', limit: 100 });
    assert.equal((stray.events as Event[]).length, 18);
    // (The worker answers first, and goes on to the failing step's states, the diff and the stream's events.)
    const rejected = await answer(session, 'find_first_failure', { invariant: '(Promise.reject(1), event.revision < 5)' });
    assert.equal((rejected.event as Event).revision, 5);
    const bomb = await failure(session, 'search_events', { where: '(() => { const a = []; for (;;) a.push(new Array(1e6).fill(1)); })()' });
    assert.match(bomb, /ran out of memory|did not finish/);
    assert.equal((await answer(session, 'store_info', {})).events, 330, 'the server goes on');
  });

  it('a call the client cancels ends its replay or search at once (the server says so on stderr)', async () => {
    // A projection that takes 20 ms an event: its replay of the demo's 330 events takes 6.6 s.
    const slow = join(makeTempDir(), 'slow.projection.js');
    writeFileSync(
      slow,
      'export default { init: () => ({ n: 0 }), when: {}, any: (s) => { const end = Date.now() + 20; while (Date.now() < end); s.n++; }, invariant: (s) => s.n < 1000 };\n',
    );
    for (const [name, args] of [
      ['find_first_failure', { projection: slow }],
      ['search_events', { where: '(() => { const end = Date.now() + 60; while (Date.now() < end); return false; })()' }],
    ] as [string, Record<string, unknown>][]) {
      const abort = new AbortController();
      const called = session.client.callTool({ name, arguments: args }, undefined, { signal: abort.signal });
      await new Promise((r) => setTimeout(r, 700));
      const aborted = Date.now();
      abort.abort();
      await assert.rejects(called);
      const said = `eventscope mcp: ${name} cancelled by the client`;
      while (!session.stderr().includes(said)) {
        assert.ok(Date.now() - aborted < 3000, `${said}: ${session.stderr().slice(-500)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.equal((await answer(session, 'store_info', {})).events, 330);
  });

  it('projection files run only with --allow-code; the encrypted fixture opens with its key from the environment', async () => {
    const encrypted = copyFixture('c_aes_zlib.db');
    const sha = sha256(encrypted);
    const locked = await connect(['--store', encrypted], { EVENTSCOPE_CIPHER_KEY: FIXTURE_KEY });
    try {
      assert.match(await failure(locked, 'replay', { projection: BANK_BALANCES }), /--allow-code/);
      const dump = readDumps().get('c_aes_zlib.db')!;
      const row = dump.events[0];
      const shown = await answer(locked, 'show_event', { streamId: dashed(row.originatorId), revision: row.version });
      assert.deepEqual((shown.event as Event).data, expectedData(row.decoded));
      const info = await answer(locked, 'store_info', {});
      assert.equal(info.events, dump.events.length);
      // The counters fixture's tracking table follows the plain one's log: its lag from that head.
      const counters = copyFixture('a_plain_counters.db');
      const plain = copyFixture('a_plain.db');
      const lagged = await answer(locked, 'store_info', { store: counters, upstream: plain });
      assert.deepEqual(lagged.checkpoints, [{ name: 'FixtureApp', position: 21, lag: 0 }]);
      const unknown = await answer(locked, 'store_info', { store: counters });
      assert.deepEqual(unknown.checkpoints, [{ name: 'FixtureApp', position: 21, lag: null }]);
      assert.equal((info.encoding as { encrypted: boolean }).encrypted, true);
      const replay = await answer(locked, 'replay', {});
      assert.equal(replay.steps, dump.events.length);
      assert.ok(!locked.stderr().includes(FIXTURE_KEY), 'the key is not logged');
    } finally {
      await locked.close();
    }
    // Each store's own secrets (as VS Code gives them): the key goes to its store only.
    const plain = copyFixture('a_plain.db');
    const own = await connect(['--store', plain, '--store', encrypted], {
      EVENTSCOPE_STORE_SECRETS: JSON.stringify({ [encrypted]: { cipherKey: FIXTURE_KEY } }),
    });
    try {
      assert.equal((await answer(own, 'store_info', { store: encrypted })).events, readDumps().get('c_aes_zlib.db')!.events.length);
      assert.equal((await answer(own, 'store_info', {})).events, 21);
    } finally {
      await own.close();
    }
    const keyless = await connect(['--store', encrypted]);
    try {
      assert.match(await failure(keyless, 'read_log', {}), /EVENTSCOPE_CIPHER_KEY/);
    } finally {
      await keyless.close();
    }
    assert.equal(sha256(encrypted), sha, 'the store is byte for byte as it was');
  });

  it('answers stay under 20 kB on a store of huge events, and a list cut by the budget pages on with its cursor', async () => {
    const dir = makeTempDir();
    const wide = join(dir, 'wide.jsonl');
    // 20 streams of 2 events, each event 150 fields of 7,000 characters; stream ids 1,200 characters long.
    const lines: string[] = [];
    for (let s = 0; s < 20; s++) {
      const streamId = `${String(s).padStart(3, '0')}-${'x'.repeat(1196)}`;
      for (let r = 0; r < 2; r++) {
        const data = Object.fromEntries(Array.from({ length: 150 }, (_, f) => [`field${f}`, `${f}`.repeat(7000 / String(f).length)]));
        lines.push(JSON.stringify({ streamId, type: r === 0 ? 'Opened' : 'Changed', data: { n: r, ...data } }));
      }
    }
    writeFileSync(wide, `${lines.join('\n')}\n`);
    const big = await connect(['--store', wide]);
    try {
      const streamId = `000-${'x'.repeat(1196)}`;
      const calls: [string, Record<string, unknown>][] = [
        ['store_info', {}],
        ['list_streams', {}],
        ['read_stream', { streamId }],
        ['read_log', {}],
        ['show_event', { streamId, revision: 1 }],
        ['search_events', { where: 'event.data.n >= 0' }],
        ['replay', {}],
        ['find_first_failure', { invariant: 'state.events < 25' }],
      ];
      for (const [name, args] of calls) {
        const result = await call(big, name, args);
        assert.ok(!result.isError, `${name}: ${JSON.stringify(result.content)}`);
        const bytes = Buffer.byteLength(JSON.stringify(result));
        assert.ok(bytes < 20_000, `${name}: ${bytes} bytes`);
      }
      const found = await answer(big, 'find_first_failure', { invariant: 'state.events < 25' });
      assert.equal(found.step, 25);
      // The whole state broke (its event count), so the whole state is what the answer shows first.
      assert.ok(
        JSON.stringify(found.stateAfter).includes('"events":25') || typeof found.stateAfter === 'string',
        JSON.stringify(found.stateAfter).slice(0, 200),
      );

      // Every stream exactly once through the cursors, though each page holds fewer than asked for.
      const seen: string[] = [];
      let cursor: string | undefined;
      let cut = false;
      do {
        const page = await answer(big, 'list_streams', { limit: 500, ...(cursor ? { cursor } : {}) });
        seen.push(...(page.streams as { streamId: string }[]).map((s) => s.streamId));
        cut ||= ((page.notes as string[] | undefined) ?? []).some((n) => /fit in this answer/.test(n));
        cursor = page.next as string | undefined;
      } while (cursor);
      assert.ok(cut, 'a page was cut by the budget');
      assert.equal(seen.length, 20);
      assert.equal(new Set(seen).size, 20);
      // The same for events: read_log's pages, cut by the budget, go on where they stopped.
      const positions: number[] = [];
      for (let from: number | undefined = 1; from !== undefined;) {
        const page = await answer(big, 'read_log', { fromPosition: from, limit: 200 });
        positions.push(...(page.events as Event[]).map((e) => e.position));
        from = (page.next as { fromPosition?: number } | undefined)?.fromPosition;
      }
      assert.deepEqual(
        positions,
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
    } finally {
      await big.close();
    }
  });

  it("every tool's default answer stays under 20 kB", async () => {
    const [first] = (await answer(session, 'read_log', { limit: 1 })).events as Event[];
    const calls: [string, Record<string, unknown>][] = [
      ['store_info', {}],
      ['list_streams', {}],
      ['read_stream', { streamId: first.streamId }],
      ['read_log', {}],
      ['show_event', { streamId: first.streamId, revision: 1 }],
      ['search_events', { where: 'true' }],
      ['replay', {}],
      ['find_first_failure', { projection: BANK_BALANCES }],
    ];
    for (const [name, args] of calls) {
      const result = await call(session, name, args);
      assert.ok(!result.isError, name);
      const bytes = Buffer.byteLength(JSON.stringify(result));
      assert.ok(bytes < 20_000, `${name}: ${bytes} bytes`);
    }
  });
});
