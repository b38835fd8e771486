/**
 * Eventscope benchmark (`npm run bench`): writes eventsourcing-format SQLite stores into a temp
 * folder with the project's own writer, then measures the read paths of EventsourcingSqliteStore
 * against raw SQLite reads of the same rows, for each SQLite engine that loads here (each engine in
 * a fresh child process, so one engine's heap doesn't skew the other's numbers).
 *
 * Stores (written with the default engine; the 1M ones in worker threads, in parallel):
 *   - plain-1m:   100,000 aggregates x 10 events + one aggregate of 10,000 events (1,010,000), JSON
 *   - aes-1m:     the same events, zlib-compressed and AES-256-GCM encrypted
 *   - plain-100k: 10,000 aggregates x 10 events (100,000), JSON, for the memory comparison
 *
 * Environment:
 *   EVENTSCOPE_SQLITE_ENGINE=better-sqlite3|node:sqlite  benchmark only that engine (default: both)
 *   EVENTSCOPE_BENCH_KEEP=1     keep the temp folder
 *   EVENTSCOPE_BENCH_DIR=path   write the stores there if missing, reuse them if present, keep them
 *   EVENTSCOPE_BENCH_ONLY=replay  only the replay measurements (the debugger's included)
 *   EVENTSCOPE_BENCH_ONLY=debug   only the debugger's
 *   EVENTSCOPE_BENCH_ONLY=read    only the whole-log reads (store vs raw scan)
 *   EVENTSCOPE_BENCH_ONLY=cli     only the CLI against the Python loop
 *   EVENTSCOPE_BENCH_ONLY=python  only Python replays against the library's repository.get
 *   EVENTSCOPE_BENCH_ONLY=postgres  only the PostgreSQL store against a bare pg read (a throwaway server)
 *   EVENTSCOPE_BENCH_ONLY=language  only the language server (dist/server.js over stdio, the demo store)
 *   EVENTSCOPE_BENCH_ONLY=mcp     only the agent tools through `eventscope mcp` (answer sizes; the 1M store's find_first_failure)
 *
 * The last section runs `node dist/cli.js log STORE --json --limit 200000` against
 * scripts/bench_python_loop.py (sqlite3 + AES-GCM + zlib + json, printing the same JSON) on the
 * first 200,000 events of each 1M store: wall clock, best of 3, output to /dev/null, after checking
 * that both print the same events.
 */

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { dashUuid, stateText, transcoded } from '../src/core/codecs/eventsourcing';
import { AesGcmBatchDecryptor } from '../src/core/codecs/aesGcm';
import { seededRandom } from '../src/core/demo';
import { defaultSqliteEngine, sqliteEngine, type EngineName, type SqliteEngine } from '../src/core/sqlite/drivers';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { EventsourcingSqliteWriter, type StoredEventInput } from '../src/core/stores/eventsourcingSqliteWriter';
import { iterateAll, iterateStream, pagesOf } from '../src/core/stores/types';
import { eventToJSON } from '../src/core/events';
import { ReplaySession } from '../src/core/projection/session';
import pg from 'pg';
import { EventsourcingPostgresStore } from '../src/core/stores/eventsourcingPostgres';
import { startPostgres } from '../test/helpers/postgresServer';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { CompletionList } from 'vscode-languageserver-protocol';
import { TestClient } from '../test/helpers/lsp';
import { printEventsFile } from '../src/core/eventsFile/eventsFile';
import { openStore } from '../src/core/stores/open';
import { writeDemoStore } from '../src/core/demo';
import type { DebugProtocol } from '@vscode/debugprotocol';

// ---------------------------------------------------------------------------------------------
// Parameters

const PAGE = 1000; // page size of every full-log read (raw baseline and store alike)
const FULL_RUNS = 3; // runs of each whole-log read (median reported)
const SMALL_RUNS = 9; // runs of each small query (median reported)
const COLD_RUNS = 3; // fresh-store runs of each first call (median reported)
const RUN_BUDGET_MS = 12_000; // a measurement stops repeating once its runs took this long
const BATCH = 20_000; // events per write transaction
const POOL = 2_000; // aggregates "alive" at once while generating (interleaving window)

const ACCOUNT = 'bench.accounts:Account';
const ORDER = 'bench.orders:Order';
const LEDGER = 'bench.ledger:Ledger';

interface StoreSpec {
  name: string;
  aggregates: number;
  eventsPerAggregate: number;
  /** Events of the one big aggregate (0 for none). */
  bigEvents: number;
  seed: number;
  compress: boolean;
  encrypt: boolean;
}

interface GenerateRequest {
  spec: StoreSpec;
  path: string;
  key: Uint8Array;
}

interface GenerateResult {
  name: string;
  events: number;
  bigStreamId: string | null;
  ms: number;
  engine: EngineName;
}

// ---------------------------------------------------------------------------------------------
// Generation

/** Deterministic (see seededRandom), so both 1M stores hold the same events. */
const random = seededRandom;

function hex8(next: () => number): string {
  return Math.floor(next() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');
}

/** 32 lowercase hex digits shaped like uuid4().hex. */
function uuidHex(next: () => number): string {
  const hex = hex8(next) + hex8(next) + hex8(next) + hex8(next);
  return `${hex.slice(0, 12)}4${hex.slice(13, 16)}${'89ab'[Math.floor(next() * 4)]}${hex.slice(17)}`;
}

function cents(amount: number): string {
  return `${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, '0')}`;
}

const NAMES = ['Alice Smith', 'Bob Jones', 'Carol Müller', 'Dana Whitfield', 'Emeka Okafor', 'Fatima Zahra', 'Hana Sato', 'Luis García'];
const SKUS = ['SKU-1001', 'SKU-1002', 'SKU-2040', 'SKU-3300', 'SKU-4711', 'SKU-9000'];
const CARRIERS = ['DHL', 'UPS', 'PostNL', 'La Poste'];

interface Aggregate {
  id: string;
  kind: 'account' | 'order';
  version: number;
}

/**
 * The events of a store in global order: aggregates are created while up to POOL others are
 * alive, and each event goes to a random live aggregate (so an aggregate's 10 events spread over
 * ~20,000 positions); the big aggregate's events are spread evenly at random through the log.
 */
function* generateEvents(spec: StoreSpec, bigId: string | null): Generator<StoredEventInput> {
  const next = random(spec.seed);
  let clock = Date.UTC(2025, 0, 1, 8, 0, 0);
  const timestamp = () => {
    clock += 1 + Math.floor(next() * 400);
    const micros = (clock % 1000) * 1000 + Math.floor(next() * 1000);
    return transcoded.datetime(`${new Date(clock).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}+00:00`);
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const money = (max: number) => transcoded.decimal(cents(100 + Math.floor(next() * max)));

  const pool: Aggregate[] = [];
  let created = 0;
  let smallLeft = spec.aggregates * spec.eventsPerAggregate;
  let bigLeft = bigId ? spec.bigEvents : 0;
  let bigVersion = 0;
  while (smallLeft + bigLeft > 0) {
    if (bigLeft > 0 && next() * (smallLeft + bigLeft) < bigLeft) {
      bigLeft--;
      bigVersion++;
      yield bigVersion === 1
        ? {
            originatorId: bigId!,
            version: 1,
            topic: `${LEDGER}.Opened`,
            state: { timestamp: timestamp(), originator_topic: LEDGER, name: 'General ledger' },
          }
        : {
            originatorId: bigId!,
            version: bigVersion,
            topic: `${LEDGER}.Posted`,
            state: {
              timestamp: timestamp(),
              amount: money(500_000),
              account_id: transcoded.uuid(uuidHex(next)),
              memo: `posting ${bigVersion}`,
            },
          };
      continue;
    }
    smallLeft--;
    if (created < spec.aggregates && pool.length < POOL) {
      const agg: Aggregate = { id: uuidHex(next), kind: next() < 0.7 ? 'account' : 'order', version: 1 };
      created++;
      pool.push(agg);
      if (agg.kind === 'account') {
        const name = pick(NAMES);
        yield {
          originatorId: agg.id,
          version: 1,
          topic: `${ACCOUNT}.Opened`,
          state: {
            timestamp: timestamp(),
            originator_topic: ACCOUNT,
            full_name: name,
            email_address: `${name.split(' ')[0].toLowerCase()}.${created}@example.com`,
            currency: 'EUR',
          },
        };
      } else {
        yield {
          originatorId: agg.id,
          version: 1,
          topic: `${ORDER}.Placed`,
          state: {
            timestamp: timestamp(),
            originator_topic: ORDER,
            customer_id: transcoded.uuid(uuidHex(next)),
            lines: [{ sku: pick(SKUS), quantity: 1 + Math.floor(next() * 5), unit_price: money(10_000) }],
          },
        };
      }
      continue;
    }
    const at = Math.floor(next() * pool.length);
    const agg = pool[at];
    agg.version++;
    if (agg.version === spec.eventsPerAggregate) {
      pool[at] = pool[pool.length - 1];
      pool.pop();
    }
    const version = agg.version;
    if (agg.kind === 'account') {
      const r = next();
      if (r < 0.55) {
        yield {
          originatorId: agg.id,
          version,
          topic: `${ACCOUNT}.Credited`,
          state: { timestamp: timestamp(), amount: money(250_000), transaction_id: transcoded.uuid(uuidHex(next)) },
        };
      } else if (r < 0.95) {
        yield {
          originatorId: agg.id,
          version,
          topic: `${ACCOUNT}.Debited`,
          state: { timestamp: timestamp(), amount: money(50_000), transaction_id: transcoded.uuid(uuidHex(next)) },
        };
      } else {
        yield {
          originatorId: agg.id,
          version,
          topic: `${ACCOUNT}.OverdraftLimitSet`,
          state: { timestamp: timestamp(), overdraft_limit: money(100_000) },
        };
      }
    } else if (version === spec.eventsPerAggregate) {
      yield {
        originatorId: agg.id,
        version,
        topic: `${ORDER}.Shipped`,
        state: { timestamp: timestamp(), carrier: pick(CARRIERS), tracking_number: hex8(next).toUpperCase() },
      };
    } else if (next() < 0.8) {
      yield {
        originatorId: agg.id,
        version,
        topic: `${ORDER}.LineAdded`,
        state: { timestamp: timestamp(), sku: pick(SKUS), quantity: 1 + Math.floor(next() * 5), unit_price: money(10_000) },
      };
    } else {
      yield {
        originatorId: agg.id,
        version,
        topic: `${ORDER}.PaymentReceived`,
        state: { timestamp: timestamp(), amount: money(40_000), payment_id: transcoded.uuid(uuidHex(next)) },
      };
    }
  }
}

/**
 * The engine, with connection settings for a one-off bulk load (no fsync, a big page cache, rare
 * WAL checkpoints). Per-connection only: the file is the same as the writer makes by default.
 */
function bulkWriteEngine(engine: SqliteEngine): SqliteEngine {
  return {
    name: engine.name,
    open(path, options) {
      const db = engine.open(path, options);
      db.exec('PRAGMA synchronous=OFF; PRAGMA cache_size=-131072; PRAGMA wal_autocheckpoint=100000');
      return db;
    },
  };
}

function bigStreamIdOf(spec: StoreSpec): string | null {
  return spec.bigEvents > 0 ? dashUuid(uuidHex(random(spec.seed ^ 0x5eed))) : null;
}

function eventCount(spec: StoreSpec): number {
  return spec.aggregates * spec.eventsPerAggregate + spec.bigEvents;
}

function writeStore(request: GenerateRequest): GenerateResult {
  const { spec, path } = request;
  const started = performance.now();
  const engine = defaultSqliteEngine();
  const writer = new EventsourcingSqliteWriter(path, {
    engine: bulkWriteEngine(engine),
    compress: spec.compress,
    cipherKey: spec.encrypt ? Buffer.from(request.key) : undefined,
  });
  const bigId = spec.bigEvents > 0 ? uuidHex(random(spec.seed ^ 0x5eed)) : null;
  let events = 0;
  let batch: StoredEventInput[] = [];
  for (const event of generateEvents(spec, bigId)) {
    batch.push(event);
    if (batch.length === BATCH) {
      writer.append(batch);
      events += batch.length;
      batch = [];
    }
  }
  writer.append(batch);
  events += batch.length;
  writer.close();
  return { name: spec.name, events, bigStreamId: bigId && dashUuid(bigId), ms: performance.now() - started, engine: engine.name };
}

function writeStoreInWorker(request: GenerateRequest): Promise<GenerateResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: request });
    worker.once('message', (result: GenerateResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the generator worker for ${request.spec.name} exited with code ${code}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Measuring

function gc(): void {
  globalThis.gc?.();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Timed {
  /** Median milliseconds. */
  ms: number;
  runs: number;
  /** (slowest - fastest) / median, over the runs. */
  spread: number;
  /** What the last run returned (a count, to check and to keep the work observable). */
  result: number;
}

function summary(times: number[], result: number): Timed {
  const ms = median(times);
  return { ms, runs: times.length, spread: (Math.max(...times) - Math.min(...times)) / ms, result };
}

/**
 * Runs `work` up to `runs` times (a GC before each) and returns the median time; stops early once
 * the runs so far took `budgetMs`, so that a slow path doesn't blow the total run time.
 */
async function timed(runs: number, work: () => Promise<number> | number, budgetMs = RUN_BUDGET_MS): Promise<Timed> {
  return (await alternating(runs, [work], budgetMs))[0];
}

/** `timed`, after one untimed call (statements prepared, caches filled). */
async function warmTimed(runs: number, work: () => Promise<number> | number, budgetMs = RUN_BUDGET_MS): Promise<Timed> {
  await work();
  return timed(runs, work, budgetMs);
}

/**
 * Runs several works in turn (a, b, a, b, ...), so that a baseline and what is compared with it
 * see the same process state (heap size, GC pressure); medians of each.
 */
async function alternating(runs: number, works: (() => Promise<number> | number)[], budgetMs = RUN_BUDGET_MS): Promise<Timed[]> {
  const times = works.map((): number[] => []);
  const results = works.map(() => 0);
  let spent = 0;
  for (let i = 0; i < runs && spent < budgetMs; i++) {
    for (let w = 0; w < works.length; w++) {
      gc();
      const started = performance.now();
      results[w] = await works[w]();
      const ms = performance.now() - started;
      times[w].push(ms);
      spent += ms;
      await new Promise(setImmediate); // let signals (Ctrl-C) through between runs
    }
  }
  return works.map((_, w) => summary(times[w], results[w]));
}

const STATE_AS_TEXT = "CASE WHEN substr(state, 1, 1) IN (X'7B', X'5B') THEN CAST(state AS TEXT) ELSE state END";
const rawPageSql = (state = 'state') =>
  `SELECT rowid, originator_id, originator_version, topic, ${state} FROM stored_events WHERE rowid >= ? ORDER BY rowid LIMIT ?`;
const RAW_ALL_SQL = 'SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid';

/**
 * The baseline: the store's own readAll SQL, in keyset pages of PAGE (+1 look-ahead row, as the
 * store fetches), rows as arrays straight from the engine, nothing decoded.
 */
function rawPages(engine: SqliteEngine, path: string, state = 'state'): number {
  const db = engine.open(path);
  try {
    const stmt = db.prepare(rawPageSql(state));
    let from = 0;
    let count = 0;
    let bytes = 0;
    for (;;) {
      const rows = stmt.all(from, PAGE + 1);
      const n = Math.min(rows.length, PAGE);
      for (let i = 0; i < n; i++) {
        const row = rows[i];
        bytes += (row[4] as Uint8Array | string).length + (row[1] as string).length + (row[2] as number);
      }
      count += n;
      if (rows.length <= PAGE) break;
      from = rows[PAGE][0] as number;
    }
    if (bytes < 0) throw new Error('unreachable');
    return count;
  } finally {
    db.close();
  }
}

/**
 * Milliseconds per 1,000 events to inflate and parse the first 100,000 states of an encrypted store
 * (decrypted beforehand, not timed; one reused zlib context), best of 3: what every reader of such a
 * store pays on top of the raw read, whatever else it does.
 */
async function inflateAlone(engine: SqliteEngine, path: string, key: Buffer): Promise<number> {
  const db = engine.open(path);
  let states: Uint8Array[];
  try {
    states = db
      .prepare('SELECT state FROM stored_events ORDER BY rowid LIMIT 100000')
      .all()
      .map((row) => row[0] as Uint8Array);
  } finally {
    db.close();
  }
  const page = new AesGcmBatchDecryptor(key).decryptPage(states);
  const plain = states.map((_, i) => page.bytes.subarray(page.starts[i], page.starts[i] + page.lengths[i]));
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    let keys = 0;
    for (const b of plain) keys += Object.keys(JSON.parse(stateText(b))).length;
    if (keys <= 0) throw new Error('nothing inflated');
    best = Math.min(best, ((performance.now() - started) / plain.length) * 1000);
  }
  return best;
}

/** One statement iterated over the whole table (no paging), for reference. */
function rawIterate(engine: SqliteEngine, path: string): number {
  const db = engine.open(path);
  try {
    let count = 0;
    let bytes = 0;
    for (const row of db.prepare(RAW_ALL_SQL).iterate()) {
      bytes += (row[4] as Uint8Array).length + (row[1] as string).length + (row[2] as number);
      count++;
    }
    if (bytes < 0) throw new Error('unreachable');
    return count;
  } finally {
    db.close();
  }
}

/** The whole log through store.readAll pages (each event decoded). */
async function storePages(store: EventsourcingSqliteStore, onPage?: (count: number) => void): Promise<number> {
  let from: number | undefined;
  let count = 0;
  let touched = 0;
  for (;;) {
    const page = await store.readAll({ fromPosition: from, limit: PAGE });
    for (const e of page.items) touched += e.revision + (e.timestamp === null ? 0 : 1);
    count += page.items.length;
    onPage?.(count);
    if (page.next === undefined) break;
    from = page.next;
  }
  if (touched < 0) throw new Error('unreachable');
  return count;
}

/** The whole log through the iterateAll async generator (one await per event). */
async function storeIterate(store: EventsourcingSqliteStore): Promise<number> {
  let count = 0;
  let touched = 0;
  for await (const e of iterateAll(store, { limit: PAGE })) {
    touched += e.revision + (e.timestamp === null ? 0 : 1);
    count++;
  }
  if (touched < 0) throw new Error('unreachable');
  return count;
}

// ---------------------------------------------------------------------------------------------
// Memory probe: a fresh process per store, so one read's heap growth and RSS don't carry over

interface MemoryProbe {
  events: number;
  /** After opening the store and a GC, before the read. */
  baseRss: number;
  baseHeap: number;
  peakRss: number;
  peakHeap: number;
  /** Peaks over the first and the second half of the read (they move with V8's heap limit too). */
  firstHalfPeakHeap: number;
  secondHalfPeakHeap: number;
  /** heapUsed after a full GC at each quarter of the read (a leak shows as growth). */
  quarterHeaps: number[];
  /** heapUsed after the read and a GC (the store still open). */
  retainedHeap: number;
}

/** Reads the whole log `passes` times (`total` events a pass), sampling memory after every page. */
async function memoryProbe(path: string, engineName: EngineName, total: number, passes: number): Promise<void> {
  const store = new EventsourcingSqliteStore(path, { engine: sqliteEngine(engineName) });
  await store.readAll({ limit: 1 }); // statements prepared
  gc();
  const base = process.memoryUsage();
  const probe: MemoryProbe = {
    events: 0,
    baseRss: base.rss,
    baseHeap: base.heapUsed,
    peakRss: base.rss,
    peakHeap: base.heapUsed,
    firstHalfPeakHeap: 0,
    secondHalfPeakHeap: 0,
    quarterHeaps: [],
    retainedHeap: 0,
  };
  for (let pass = 0; pass < passes; pass++) {
    const before = probe.events;
    probe.events += await storePages(store, (count) => {
      const m = process.memoryUsage();
      probe.peakRss = Math.max(probe.peakRss, m.rss);
      probe.peakHeap = Math.max(probe.peakHeap, m.heapUsed);
      const done = before + count;
      if (done <= (total * passes) / 2) probe.firstHalfPeakHeap = Math.max(probe.firstHalfPeakHeap, m.heapUsed);
      else probe.secondHalfPeakHeap = Math.max(probe.secondHalfPeakHeap, m.heapUsed);
      if (done >= ((probe.quarterHeaps.length + 1) * total * passes) / 4) {
        gc();
        probe.quarterHeaps.push(process.memoryUsage().heapUsed);
      }
    });
  }
  gc();
  probe.retainedHeap = process.memoryUsage().heapUsed;
  await store.close();
  process.stdout.write(JSON.stringify(probe));
}

function runMemoryProbe(path: string, engine: EngineName, total: number, passes = 1): MemoryProbe {
  const child = spawnSync(process.execPath, ['--expose-gc', __filename, '--memory-probe', path, engine, String(total), String(passes)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`the memory probe failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout) as MemoryProbe;
}

// ---------------------------------------------------------------------------------------------
// Report

interface ResultRow {
  engine: string;
  measurement: string;
  value: string;
  runs: string;
  spread: string;
  target: string;
  ratio: string;
  result: string;
}

interface EngineReport {
  rows: ResultRow[];
  ms: number;
}

const fmtMs = (ms: number) => (ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`);
const fmtRate = (perSecond: number) => `${Math.round(perSecond / 1000).toLocaleString('en-US')}k ev/s`;
const fmtMb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
const fmtCount = (n: number) => n.toLocaleString('en-US');
const rate = (t: Timed) => (t.result / t.ms) * 1000;

function printTable(rows: ResultRow[]): void {
  const headers: ResultRow = {
    engine: 'engine',
    measurement: 'measurement',
    value: 'value',
    runs: 'n',
    spread: 'spread',
    target: 'target',
    ratio: 'ratio',
    result: 'result',
  };
  const keys = Object.keys(headers) as (keyof ResultRow)[];
  const widths = new Map(keys.map((k) => [k, Math.max(headers[k].length, ...rows.map((r) => r[k].length))]));
  const right = new Set<keyof ResultRow>(['value', 'runs', 'spread', 'ratio']);
  const line = (r: ResultRow) =>
    keys
      .map((k) => (right.has(k) ? r[k].padStart(widths.get(k)!) : r[k].padEnd(widths.get(k)!)))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  console.log(keys.map((k) => '-'.repeat(widths.get(k)!)).join('  '));
  let last = '';
  for (const r of rows) {
    if (last && r.engine !== last) console.log('');
    last = r.engine;
    console.log(line(r));
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark of one engine (run in a child process of its own)

interface Stores {
  plain: string;
  aes: string;
  small: string;
  keyHex: string;
  bigStreamId: string;
  expected: { plain: number; small: number };
}

function check(label: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`${label}: read ${got} events, expected ${expected}`);
}

type ListOptions = Parameters<EventsourcingSqliteStore['listStreams']>[0];

type RowOptions = { t?: Timed; target?: string; ratio?: string | number; pass?: boolean };

/** Adds result rows of one engine: a ratio given as a number prints as "0.94x", pass as PASS/MISS. */
/** A timed row's target, ratio and verdict: under `limitMs` milliseconds. */
function withinMs(t: Timed, limitMs: number): RowOptions {
  return { t, target: `< ${limitMs} ms`, ratio: t.ms / limitMs, pass: t.ms < limitMs };
}

function rowAdder(engine: string, rows: ResultRow[]): (measurement: string, value: string, options?: RowOptions) => void {
  return (measurement, value, options = {}) => {
    const ratio = typeof options.ratio === 'number' ? `${options.ratio.toFixed(2)}x` : (options.ratio ?? '');
    const result = options.pass === undefined ? '' : options.pass ? 'PASS' : 'MISS';
    const t = options.t;
    rows.push({
      engine,
      measurement,
      value,
      runs: t ? String(t.runs) : '',
      spread: t && t.runs > 1 ? `±${Math.round((t.spread / 2) * 100)}%` : '',
      target: options.target ?? '',
      ratio,
      result,
    });
  };
}

async function benchEngine(engine: SqliteEngine, stores: Stores, onlyReads = false): Promise<ResultRow[]> {
  const e = engine.name;
  const rows: ResultRow[] = [];
  const add = rowAdder(e, rows);
  const log = (what: string) => console.error(`  [${e}] ${what}`);
  const key = Buffer.from(stores.keyHex, 'hex');
  const open = (path: string, cipherKey?: Buffer) => new EventsourcingSqliteStore(path, { engine, cipherKey });
  const { expected } = stores;

  // --- whole log, plain JSON
  log('whole log, plain JSON ...');
  const plainStore = open(stores.plain);
  const [rawPlain, readPlain] = await alternating(FULL_RUNS, [() => rawPages(engine, stores.plain), () => storePages(plainStore)], 25_000);
  check('raw pages', rawPlain.result, expected.plain);
  check('readAll', readPlain.result, expected.plain);
  add(`raw baseline, plain store: readAll SQL, pages of ${PAGE}`, fmtRate(rate(rawPlain)), { t: rawPlain, ratio: '= 1.00x' });
  const plainRatio = rate(readPlain) / rate(rawPlain);
  add(`store.readAll, pages of ${PAGE}, plain JSON`, fmtRate(rate(readPlain)), {
    t: readPlain,
    target: '>= 0.50x',
    ratio: plainRatio,
    pass: plainRatio >= 0.5,
  });
  const iterPlain = await timed(1, () => storeIterate(plainStore));
  check('iterateAll', iterPlain.result, expected.plain);
  const iterRatio = rate(iterPlain) / rate(rawPlain);
  add('iterateAll (async generator), plain JSON', fmtRate(rate(iterPlain)), {
    t: iterPlain,
    target: '>= 0.50x',
    ratio: iterRatio,
    pass: iterRatio >= 0.5,
  });
  const rawIter = await timed(1, () => rawIterate(engine, stores.plain));
  add('raw, plain store: one iterate() over the table', fmtRate(rate(rawIter)), { t: rawIter, ratio: rate(rawIter) / rate(rawPlain) });
  const rawText = await timed(1, () => rawPages(engine, stores.plain, STATE_AS_TEXT));
  add('raw, plain store: pages, JSON state read as TEXT', fmtRate(rate(rawText)), { t: rawText, ratio: rate(rawText) / rate(rawPlain) });

  // --- whole log, zlib + AES-GCM
  log('whole log, zlib + AES-GCM ...');
  const aesStore = open(stores.aes, key);
  const [rawAes, readAes] = await alternating(FULL_RUNS, [() => rawPages(engine, stores.aes), () => storePages(aesStore)], 25_000);
  check('raw pages (aes)', rawAes.result, expected.plain);
  check('readAll (aes)', readAes.result, expected.plain);
  add(`raw baseline, zlib+AES store: pages of ${PAGE}`, fmtRate(rate(rawAes)), { t: rawAes, ratio: '= 1.00x' });
  const aesRatio = rate(readAes) / rate(rawAes);
  add(`store.readAll, pages of ${PAGE}, zlib+AES-GCM`, fmtRate(rate(readAes)), {
    t: readAes,
    target: '>= 0.50x',
    ratio: aesRatio,
    pass: aesRatio >= 0.5,
  });
  // The floor under any decoder: zlib and JSON.parse alone, on the same states decrypted up front.
  const inflate = await inflateAlone(engine, stores.aes, key);
  const perRaw = rawAes.ms / expected.plain; // ms per event
  add('zlib inflate + JSON.parse alone, states decrypted beforehand', `${inflate.toFixed(2)} µs/event`, {
    target: 'ceiling of a one-thread read',
    ratio: perRaw / (perRaw + inflate / 1000),
  });
  if (onlyReads) {
    await plainStore.close();
    await aesStore.close();
    return rows;
  }

  // --- listStreams on the 1M store
  log('listStreams ...');
  const listCase = async (label: string, options: ListOptions, target = true) => {
    const cold = await timed(COLD_RUNS, async () => {
      const store = open(stores.plain);
      try {
        return (await store.listStreams(options)).items.length;
      } finally {
        await store.close();
      }
    });
    const warm = await warmTimed(SMALL_RUNS, async () => (await plainStore.listStreams(options)).items.length, 3_000);
    if (warm.result === 0) throw new Error(`listStreams ${label} returned nothing`);
    const verdict = (t: Timed) => (target ? { t, target: '< 50 ms', pass: t.ms < 50 } : { t });
    add(`listStreams ${label}: first call, just opened`, fmtMs(cold.ms), verdict(cold));
    add(`listStreams ${label}: warm (${warm.result} items)`, fmtMs(warm.ms), verdict(warm));
  };
  await listCase('limit 100', { limit: 100 });
  const prefix2 = stores.bigStreamId.slice(0, 2);
  await listCase(`prefix "${prefix2}"`, { limit: 100, prefix: prefix2 });
  const prefixDashed = stores.bigStreamId.slice(0, 10);
  const found = await plainStore.listStreams({ prefix: prefixDashed, limit: 100 });
  if (!found.items.some((s) => s.streamId === stores.bigStreamId))
    throw new Error(`listStreams prefix "${prefixDashed}" missed the stream`);
  await listCase(`prefix "${prefixDashed}" (dashed)`, { limit: 100, prefix: prefixDashed });
  await listCase('category Account (70% of streams)', { limit: 100, category: 'Account' });
  await listCase('category Order (30%)', { limit: 100, category: 'Order' });
  await listCase('category Ledger (1 stream)', { limit: 100, category: 'Ledger' }, false);
  const page1 = await plainStore.listStreams({ limit: 100 });
  const page2 = await warmTimed(SMALL_RUNS, async () => (await plainStore.listStreams({ limit: 100, after: page1.next })).items.length);
  add('listStreams limit 100, page 2 (cursor)', fmtMs(page2.ms), { t: page2, target: '< 50 ms', pass: page2.ms < 50 });
  let cursor: string | undefined;
  const walk = await timed(1, async () => {
    for (let i = 0; i < 5; i++) cursor = (await plainStore.listStreams({ limit: 10_000, after: cursor })).next;
    return 5;
  });
  const middle = await warmTimed(SMALL_RUNS, async () => (await plainStore.listStreams({ limit: 100, after: cursor })).items.length);
  add('listStreams limit 100, after 50,000 streams (cursor)', fmtMs(middle.ms), { t: middle, target: '< 50 ms', pass: middle.ms < 50 });
  add('listStreams limit 10,000 (max page), per page', fmtMs(walk.ms / 5), { t: walk });
  const orderPage1 = await plainStore.listStreams({ limit: 100, category: 'Order' });
  const orderPage2 = await warmTimed(
    SMALL_RUNS,
    async () => (await plainStore.listStreams({ limit: 100, category: 'Order', after: orderPage1.next })).items.length,
  );
  add('listStreams category Order, page 2 (cursor)', fmtMs(orderPage2.ms), { t: orderPage2, target: '< 50 ms', pass: orderPage2.ms < 50 });

  // --- readStream of the 10,000-event aggregate, both stores
  log('readStream ...');
  for (const [label, path, cipherKey, store] of [
    ['plain', stores.plain, undefined, plainStore],
    ['zlib+AES', stores.aes, key, aesStore],
  ] as const) {
    const first = await timed(COLD_RUNS, async () => {
      const fresh = open(path, cipherKey);
      try {
        return (await fresh.readStream(stores.bigStreamId, { limit: 100 })).items.length;
      } finally {
        await fresh.close();
      }
    });
    add(`readStream 10k-event stream, ${label}: first 100, just opened`, fmtMs(first.ms), { t: first });
    const warmFirst = await warmTimed(SMALL_RUNS, async () => (await store.readStream(stores.bigStreamId, { limit: 100 })).items.length);
    add(`readStream 10k-event stream, ${label}: first 100, warm`, fmtMs(warmFirst.ms), { t: warmFirst });
    const last = await warmTimed(
      SMALL_RUNS,
      async () => (await store.readStream(stores.bigStreamId, { limit: 100, direction: 'backwards' })).items.length,
    );
    add(`readStream 10k-event stream, ${label}: last 100 (backwards)`, fmtMs(last.ms), { t: last });
    const whole = await warmTimed(
      SMALL_RUNS,
      async () => {
        let n = 0;
        for await (const event of iterateStream(store, stores.bigStreamId, { limit: PAGE })) n += event.revision > 0 ? 1 : 0;
        return n;
      },
      3_000,
    );
    check(`readStream whole (${label})`, whole.result, 10_000);
    add(`readStream 10k-event stream, ${label}: whole, pages of ${PAGE}`, fmtMs(whole.ms), { t: whole, ratio: fmtRate(rate(whole)) });
  }

  // --- info() and categories() on the 1M store
  log('info / categories ...');
  const fresh = (work: (store: EventsourcingSqliteStore) => Promise<unknown>) =>
    timed(COLD_RUNS, async () => {
      const store = open(stores.plain);
      try {
        await work(store);
        return 1;
      } finally {
        await store.close();
      }
    });
  const info = await fresh((s) => s.info());
  add('info(), just opened', fmtMs(info.ms), { t: info });
  const warmInfo = await warmTimed(SMALL_RUNS, async () => (await plainStore.info()).events, 3_000);
  add('info(), warm (categories cached)', fmtMs(warmInfo.ms), { t: warmInfo });
  const categories = await fresh((s) => s.categories());
  add('categories(), just opened', fmtMs(categories.ms), { t: categories });
  const warmCategories = await warmTimed(SMALL_RUNS, async () => (await plainStore.categories()).length);
  add('categories(), warm (cached by head position)', fmtMs(warmCategories.ms), { t: warmCategories });
  await plainStore.close();
  await aesStore.close();

  // --- memory: the whole log of the 100k store vs the 1M store, each in a fresh process; and the
  // 100k store read 10 times over (the same work as the 1M read, on a store a tenth the size).
  log('memory (one child process per read) ...');
  const small = runMemoryProbe(stores.small, e, expected.small);
  check('memory probe 100k', small.events, expected.small);
  const large = runMemoryProbe(stores.plain, e, expected.plain);
  check('memory probe 1M', large.events, expected.plain);
  const passes = Math.round(expected.plain / expected.small);
  const smallRepeated = runMemoryProbe(stores.small, e, expected.small, passes);
  check('memory probe 100k x 10', smallRepeated.events, expected.small * passes);
  const probes: [string, MemoryProbe][] = [
    [`100k store (${fmtCount(small.events)} events)`, small],
    [`1M store (${fmtCount(large.events)} events)`, large],
    [`100k store read ${passes}x (${fmtCount(smallRepeated.events)} events)`, smallRepeated],
  ];
  for (const [label, p] of probes) add(`peak RSS, whole log, ${label}`, fmtMb(p.peakRss), { ratio: `base ${fmtMb(p.baseRss)}` });
  // "Flat as the store grows" compares equal work: the 1M store against the 100k store read 10x.
  // The 1M / 100k-once ratio also reads 10x more events, and V8 raises its heap limit on the way,
  // so it is shown for information only.
  const flat = (label: string, ratio: number) => add(label, ratio.toFixed(2), { target: '<= 1.25 (flat)', ratio, pass: ratio <= 1.25 });
  const informational = (label: string, ratio: number) => add(label, ratio.toFixed(2), { ratio: `${ratio.toFixed(2)}x (10x the work)` });
  informational('peak RSS, 1M store / 100k store read once', large.peakRss / small.peakRss);
  flat(`peak RSS, 1M store / 100k store read ${passes}x`, large.peakRss / smallRepeated.peakRss);
  for (const [label, p] of probes) add(`peak heap, whole log, ${label}`, fmtMb(p.peakHeap), { ratio: `base ${fmtMb(p.baseHeap)}` });
  informational('peak heap, 1M store / 100k store read once', large.peakHeap / small.peakHeap);
  flat(`peak heap, 1M store / 100k store read ${passes}x`, large.peakHeap / smallRepeated.peakHeap);
  // Where the peak lands depends on when V8 raises its heap limit (a step from ~40 to ~75 MB
  // somewhere in the read): shown, but the plateau is judged on the heap after full GCs.
  const halves = large.secondHalfPeakHeap / large.firstHalfPeakHeap;
  add('peak heap of the 1M read, 2nd half / 1st half', `${fmtMb(large.secondHalfPeakHeap)} / ${fmtMb(large.firstHalfPeakHeap)}`, {
    ratio: halves,
  });
  const quarters = large.quarterHeaps;
  const plateau = Math.max(...quarters) / Math.min(...quarters);
  add('heap after a full GC at each quarter of the 1M read', quarters.map((h) => fmtMb(h).replace(' MB', '')).join(' / ') + ' MB', {
    target: '<= 1.10 (plateau)',
    ratio: plateau,
    pass: plateau <= 1.1,
  });
  const retainedSmall = small.retainedHeap - small.baseHeap;
  const retainedLarge = large.retainedHeap - large.baseHeap;
  add('heap retained after the read + GC, 1M vs 100k', `${fmtMb(retainedLarge)} vs ${fmtMb(retainedSmall)}`, {
    target: '< 2 MB apart (no leak)',
    pass: Math.abs(retainedLarge - retainedSmall) < 2 * 1048576,
  });
  return rows;
}

/** EXPLAIN QUERY PLAN of the store's SQL (the listStreams, readAll, readStream and categories queries). */
function queryPlans(engine: SqliteEngine, path: string): void {
  const db = engine.open(path);
  try {
    const version = db.prepare('SELECT sqlite_version()').get()![0];
    const plans: [string, string, (string | number)[]][] = [
      ['listStreams', 'SELECT originator_id FROM stored_events  GROUP BY originator_id ORDER BY originator_id LIMIT ?', [101]],
      [
        'listStreams prefix',
        'SELECT originator_id FROM stored_events WHERE originator_id >= ? AND originator_id < ? GROUP BY originator_id ORDER BY originator_id LIMIT ?',
        ['ab', 'ac', 101],
      ],
      [
        'listStreams cursor',
        'SELECT originator_id FROM stored_events WHERE originator_id > ? GROUP BY originator_id ORDER BY originator_id LIMIT ?',
        ['ab', 101],
      ],
      [
        'listStreams category',
        'SELECT originator_id FROM stored_events WHERE originator_version = ? AND topic IN (?) ORDER BY originator_id LIMIT ?',
        [1, `${ORDER}.Placed`, 101],
      ],
      [
        'listStreams stats (per stream)',
        'SELECT COUNT(*), MIN(originator_version), MAX(originator_version) FROM stored_events WHERE originator_id = ?',
        ['x'],
      ],
      [
        'listStreams first (per stream)',
        'SELECT topic, state FROM stored_events WHERE originator_id = ? AND originator_version = ?',
        ['x', 1],
      ],
      ['readAll', rawPageSql(), [1, 1001]],
      [
        'readStream',
        'SELECT rowid, originator_id, originator_version, topic, state FROM stored_events WHERE originator_id = ? ORDER BY originator_version LIMIT ?',
        ['x', 101],
      ],
      ['categories', 'SELECT topic, COUNT(*) FROM stored_events WHERE originator_version = ? GROUP BY topic', [1]],
      ['info: streams', 'SELECT COUNT(DISTINCT originator_id) FROM stored_events', []],
    ];
    console.log(`Query plans (${engine.name}, SQLite ${String(version)}):`);
    for (const [label, sql, params] of plans) {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((r) => String(r[3]));
      console.log(`  ${label.padEnd(31)} ${plan.join(' | ')}`);
    }
  } finally {
    db.close();
  }
}

/** The trivial projection of the replay benchmark: one counter per event. */
const countEvents = (state: { n: number }, _event: unknown) => {
  state.n += 1;
};

/** A session over the 1M store with `countEvents` as the projection's `any`, in a temp folder. */
async function withCountingReplay<T>(
  engine: SqliteEngine,
  stores: Stores,
  work: (open: (onProgress?: (steps: number) => void) => Promise<ReplaySession>) => Promise<T>,
): Promise<T> {
  process.env.EVENTSCOPE_SQLITE_ENGINE = engine.name; // the replay worker opens the store with the same engine
  const dir = mkdtempSync(join(os.tmpdir(), 'eventscope-bench-replay-'));
  const projectionFile = join(dir, 'count.js');
  writeFileSync(projectionFile, `export default { init: () => ({ n: 0 }), any: ${countEvents.toString()} };\n`);
  try {
    return await work(async (onProgress) => {
      const session = await ReplaySession.open({
        source: { kind: 'store', location: stores.plain, scope: { all: true } },
        projection: { kind: 'file', path: projectionFile },
        workerScript: join(__dirname, 'projection-worker.js'),
        onProgress,
      });
      check('replay session', session.summary.steps, stores.expected.plain);
      return session;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Steps to 100 random indexes: p50 / p95 / max milliseconds. */
async function seekTimes(session: ReplaySession): Promise<[number, number, number]> {
  const next = random(7);
  const seeks: number[] = [];
  for (let i = 0; i < 100; i++) {
    const index = Math.floor(next() * session.summary.steps);
    const started = performance.now();
    const step = await session.step(index);
    seeks.push(performance.now() - started);
    if (step.index !== index) throw new Error('seek went astray');
  }
  seeks.sort((a, b) => a - b);
  return [median(seeks), seeks[Math.floor(seeks.length * 0.95)], seeks[seeks.length - 1]];
}

/**
 * Replay throughput (issue 4): the trivial projection over the 1M store through a ReplaySession
 * (worker thread, keyframes, the store read in the worker) against a bare loop that reads the same
 * store in this thread and calls the same reducer, taking turns; then seeks to random steps.
 */
async function benchReplay(engine: SqliteEngine, stores: Stores): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const row = rowAdder(engine.name, rows);
  console.error(`  [${engine.name}] replay: bare loop vs ReplaySession ...`);
  await withCountingReplay(engine, stores, async (open) => {
    let session: ReplaySession | undefined;
    const [bare, replay] = await alternating(FULL_RUNS, [
      async () => {
        const store = new EventsourcingSqliteStore(stores.plain, { engine });
        const state = { n: 0 };
        for await (const event of iterateAll(store, { limit: PAGE })) countEvents(state, eventToJSON(event));
        await store.close();
        check('bare replay loop', state.n, stores.expected.plain);
        return state.n;
      },
      async () => {
        await session?.dispose();
        session = await open();
        return session.summary.steps;
      },
    ]);
    const ratio = bare.ms / replay.ms;
    row('replay 1M, trivial projection (bare loop)', `${fmtMs(bare.ms)} (${fmtRate(rate(bare))})`, { t: bare });
    row('replay 1M, trivial projection (session)', `${fmtMs(replay.ms)} (${fmtRate(rate(replay))})`, {
      t: replay,
      target: '>= 0.5x bare',
      ratio,
      pass: ratio >= 0.5,
    });
    const { keyframes, keyframeInterval } = session!.summary;
    row('  keyframes', `${fmtCount(keyframes)} every ${fmtCount(keyframeInterval)} steps`);
    const [p50, p95, max] = await seekTimes(session!);
    row('seek to a random step (100, p50 / p95 / max)', `${fmtMs(p50)} / ${fmtMs(p95)} / ${fmtMs(max)}`, {
      target: 'p95 < 50 ms',
      pass: p95 < 50,
    });
    await session!.dispose();
  });
  return rows;
}

const PYTHON_EVENTS = 100_000;
const BANKAPP = resolve(__dirname, '..', 'examples', 'bankapp');

/**
 * Python replays (issue 10): one bank account of 100,000 events (the demo's bankapp topics), replayed
 * through its own class (examples/bankapp) by a ReplaySession with the Python engine, against the
 * library's own `repository.get(id)` of the same aggregate in one Python process (best of 3 each);
 * then seeks to random steps and a step back at the end.
 */
async function benchPython(dir: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const row = rowAdder('python', rows);
  const src = process.env.EVENTSCOPE_EVENTSOURCING_SRC;
  const env = { ...process.env, ...(src ? { PYTHONPATH: [src, process.env.PYTHONPATH].filter(Boolean).join(':') } : {}) };
  if (spawnSync('python3', ['-c', 'import eventsourcing.application'], { env }).status !== 0) {
    row('Python replay', 'skipped: no importable eventsourcing (set EVENTSCOPE_EVENTSOURCING_SRC)');
    return rows;
  }
  const path = join(dir, 'python-100k.db');
  const next = random(42);
  const id = uuidHex(next);
  if (!existsSync(path)) {
    const writer = new EventsourcingSqliteWriter(path, { engine: bulkWriteEngine(defaultSqliteEngine()) });
    const topic = 'bankapp.domainmodel:BankAccount';
    const when = transcoded.datetime('2026-03-02T09:00:00.000000+00:00');
    let batch: StoredEventInput[] = [
      {
        originatorId: id,
        version: 1,
        topic: `${topic}.Opened`,
        state: { timestamp: when, originator_topic: topic, full_name: 'Ada', email_address: 'ada@example.com' },
      },
    ];
    for (let version = 2; version <= PYTHON_EVENTS; version++) {
      const amount = transcoded.decimal(cents(100 + Math.floor(next() * 10_000)));
      const kind = version % 3 === 0 ? 'Debited' : 'Credited';
      batch.push({
        originatorId: id,
        version,
        topic: `${topic}.${kind}`,
        state: { timestamp: when, amount, transaction_id: transcoded.uuid(uuidHex(next)) },
      });
      if (batch.length === BATCH) {
        writer.append(batch);
        batch = [];
      }
    }
    writer.append(batch);
    writer.close();
  }
  console.error(`  [python] repository.get vs a Python replay of ${fmtCount(PYTHON_EVENTS)} events ...`);
  const script = `
import json, sys, time, uuid
sys.path.insert(0, sys.argv[3])
from eventsourcing.application import Application
app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sys.argv[1]})
times = []
for _ in range(3):
    started = time.perf_counter()
    account = app.repository.get(uuid.UUID(sys.argv[2]))
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps({"ms": min(times), "balance": str(account.balance), "version": account.version}))
`;
  const library = spawnSync('python3', ['-c', script, path, id, BANKAPP], { env, encoding: 'utf8' });
  if (library.status !== 0) throw new Error(`repository.get failed: ${library.stderr}`);
  const expected = JSON.parse(library.stdout) as { ms: number; balance: string; version: number };
  const saved = process.env.PYTHONPATH;
  process.env.PYTHONPATH = env.PYTHONPATH;
  try {
    let best = { pass: Infinity, wall: Infinity };
    let session: ReplaySession | undefined;
    for (let run = 0; run < 3; run++) {
      await session?.dispose();
      const started = performance.now();
      session = await ReplaySession.open({
        source: { kind: 'store', location: path, scope: { stream: dashUuid(id) } },
        projection: { kind: 'python', pythonPath: [BANKAPP] },
        workerScript: join(__dirname, 'projection-worker.js'),
      });
      best = { pass: Math.min(best.pass, session.summary.elapsedMs), wall: Math.min(best.wall, performance.now() - started) };
    }
    const final = (await session!.finalState()) as { balance: string; version: number };
    if (final.balance !== expected.balance || final.version !== expected.version)
      throw new Error(
        `the Python replay ends at ${final.balance} v${final.version}, repository.get at ${expected.balance} v${expected.version}`,
      );
    const perSecond = (ms: number) => (PYTHON_EVENTS / ms) * 1000;
    row(`repository.get(id), ${fmtCount(PYTHON_EVENTS)} events (library)`, `${fmtMs(expected.ms)} (${fmtRate(perSecond(expected.ms))})`);
    const ratio = expected.ms / best.pass;
    row('Python replay, first pass (session)', `${fmtMs(best.pass)} (${fmtRate(perSecond(best.pass))})`, {
      target: '>= 0.5x repository.get',
      ratio,
      pass: ratio >= 0.5,
    });
    row('  with Python start-up and imports', fmtMs(best.wall), { ratio: expected.ms / best.wall });
    const { keyframes, keyframeInterval } = session!.summary;
    row('  keyframes', `${fmtCount(keyframes)} every ${fmtCount(keyframeInterval)} steps`);
    const [p50, p95, max] = await seekTimes(session!);
    row('seek to a random step (100, p50 / p95 / max)', `${fmtMs(p50)} / ${fmtMs(p95)} / ${fmtMs(max)}`, {
      target: 'p95 < 100 ms',
      pass: p95 < 100,
    });
    await session!.step(PYTHON_EVENTS - 1);
    const backs: number[] = [];
    for (let i = 2; i <= 11; i++) {
      const started = performance.now();
      await session!.step(PYTHON_EVENTS - i);
      backs.push(performance.now() - started);
    }
    backs.sort((a, b) => a - b);
    row('step back at step 100,000 (10, p50 / max)', `${fmtMs(median(backs))} / ${fmtMs(backs[backs.length - 1])}`, {
      target: '< 100 ms',
      pass: backs[backs.length - 1] < 100,
    });
    await session!.dispose();
  } finally {
    if (saved === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = saved;
  }
  return rows;
}

const PG_AGGREGATES = 100_000;
const PG_EVENTS = 1_000_000;

/**
 * eventsourcing on PostgreSQL (issue 11): a throwaway server (test/helpers/postgresServer.ts) with
 * 1,000,000 events over 100,000 aggregates (interleaved, plain JSON states with the library's value
 * types) written by SQL; the whole log read + decoded by the store against a bare `pg` keyset read
 * of the same rows (states as bytea, nothing decoded), taking turns; and the first page of streams.
 */
/**
 * The language server as an editor meets it: a 5,000-event `.events` file (the demo's events over
 * and over) opened with the demo store's catalog read, to its diagnostics; completions of event
 * types and of a type's data fields near the file's end. Targets from issue 12: diagnostics < 300 ms,
 * completion < 50 ms (ratio = time / target).
 */
async function benchLanguageServer(dir: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const row = rowAdder('language', rows);
  const demo = join(dir, 'language-demo.sqlite');
  rmSync(demo, { force: true });
  writeDemoStore(demo);
  const store = openStore(demo);
  const demoEvents = (await store.readAll({ limit: 1000 })).items;
  await store.close();
  // Each round of the demo's events under new stream ids: a valid file, revisions in order.
  const events = Array.from({ length: 5000 }, (_, i) => {
    const e = demoEvents[i % demoEvents.length];
    return { ...e, streamId: `${e.streamId}-${Math.floor(i / demoEvents.length)}` };
  });
  const text = printEventsFile(events, 'Five thousand events');
  const client = await TestClient.start({ stores: [{ name: 'Demo', location: demo }], server: join(__dirname, 'server.js') });
  try {
    const catalogStarted = performance.now();
    const { catalogs } = await client.catalogs();
    row(
      `catalog of the demo store (${catalogs[0].catalog!.events} events) read, from the start`,
      fmtMs(performance.now() - catalogStarted),
    );
    let n = 0;
    const open = await warmTimed(SMALL_RUNS, async () => {
      const diagnostics = await client.open(`file:///bench/five-thousand-${n++}.events`, 'events', text);
      return diagnostics.length;
    });
    row(
      `.events file of 5,000 events (${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB): open to diagnostics`,
      fmtMs(open.ms),
      withinMs(open, 300),
    );
    const uri = `file:///bench/five-thousand-${n - 1}.events`;
    const lines = text.split('\n');
    const lastType = lines.findLastIndex((l) => l.startsWith('### '));
    const lastBody = lines.findIndex((l, i) => i > lastType && l.startsWith('{'));
    const complete = (line: number, character: number) => async () => {
      const list = await client.request<CompletionList>('textDocument/completion', {
        textDocument: { uri },
        position: { line, character },
      });
      return list.items.length;
    };
    const types = await warmTimed(SMALL_RUNS * 2, complete(lastType, 4));
    row('completion of event types, at the 5,000th event', fmtMs(types.ms), withinMs(types, 50));
    const fields = await warmTimed(SMALL_RUNS * 2, complete(lastBody, 1));
    row('completion of data fields, in the 5,000th event’s body', fmtMs(fields.ms), withinMs(fields, 50));
  } finally {
    await client.stop();
  }
  // The catalog of a 1M-event store (when the run has one): one read of the whole log, in the
  // server's process, which answers meanwhile (a page at a time, then what waits).
  const big = join(dir, 'plain-1m.db');
  if (existsSync(big)) {
    const own = await TestClient.start({ stores: [{ name: 'plain-1m', location: big }], server: join(__dirname, 'server.js') });
    try {
      const small = '### bench.accounts:Account.Credited  a-1\n{ "amount": 1 }\n### \n';
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await own
          .request<CompletionList>('textDocument/completion', {
            textDocument: { uri: `file:///bench/small-${i}.events` },
            position: { line: 2, character: 4 },
          })
          .catch(() => undefined);
        await own.open(`file:///bench/small-${i}.events`, 'events', small);
        waits.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 300));
      }
      const { catalogs } = await own.catalogs();
      const catalog = catalogs[0].catalog!;
      const took = own.logs.map((l) => / read in (\d+) ms$/.exec(l)?.[1]).find(Boolean);
      row(
        `catalog of a ${fmtCount(catalog.events)}-event store (${catalog.types.length} types, ${fmtCount(catalog.streams.length)} streams listed) read`,
        took ? fmtMs(Number(took)) : 'not logged',
      );
      // The server process's peak resident memory (Linux), the read done.
      const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${own.process.pid}/status`, 'utf8'))?.[1];
      if (peak) row('the language server’s peak RSS, that catalog read', `${Math.round(Number(peak) / 1024)} MB`);
      row('a small .events file opened while that catalog is read: to diagnostics (max of 5)', fmtMs(Math.max(...waits)), {
        target: '< 300 ms',
        ratio: Math.max(...waits) / 300,
        pass: Math.max(...waits) < 300,
      });
    } finally {
      await own.stop();
    }
  }
  return rows;
}

async function benchPostgres(): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const row = rowAdder('postgres', rows);
  const server = await startPostgres();
  if (!server) {
    row('PostgreSQL', 'skipped: no initdb/pg_ctl (apt-get install postgresql)');
    return rows;
  }
  try {
    console.error(`  [postgres] writing ${fmtCount(PG_EVENTS)} events ...`);
    const written = performance.now();
    server.psql(
      `CREATE TABLE bench_events (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, state bytea,
         notification_id bigserial, PRIMARY KEY (originator_id, originator_version));
       CREATE UNIQUE INDEX ON bench_events (notification_id);
       INSERT INTO bench_events (originator_id, originator_version, topic, state)
       SELECT md5((n % ${PG_AGGREGATES})::text)::uuid, n / ${PG_AGGREGATES} + 1,
         CASE WHEN n < ${PG_AGGREGATES} THEN 'bench.accounts:Account.Created' ELSE 'bench.accounts:Account.Credited' END,
         convert_to(CASE WHEN n < ${PG_AGGREGATES}
           THEN '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-03-02T09:00:00.000000+00:00"},"originator_topic":"bench.accounts:Account","name":"account ' || n || '"}'
           ELSE '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-03-02T09:00:00.000000+00:00"},"amount":{"_type_":"decimal_str","_data_":"' || (n % 9973) || '.25"},"transaction_id":{"_type_":"uuid_hex","_data_":"' || md5(n::text) || '"}}' END, 'UTF8')
       FROM generate_series(0, ${PG_EVENTS - 1}) AS n ORDER BY n;
       ALTER TABLE bench_events OWNER TO eventscope; ANALYZE bench_events;`,
      'bank',
    );
    console.error(`  [postgres] written in ${fmtMs(performance.now() - written)}`);
    const config = { host: '127.0.0.1', port: server.port, user: 'eventscope', password: server.password, database: 'bank' };
    const url = `${server.url()}?table=bench_events`;
    const [bare, store] = await alternating(FULL_RUNS, [
      async () => {
        const client = new pg.Client(config);
        await client.connect();
        let n = 0;
        let from = 0;
        for (;;) {
          const result = await client.query({
            text: 'SELECT notification_id, originator_id::text, originator_version, topic, state FROM bench_events WHERE notification_id >= $1 ORDER BY notification_id LIMIT 1001',
            values: [from],
            rowMode: 'array',
          });
          const page = result.rows as unknown[][];
          n += Math.min(page.length, 1000);
          if (page.length <= 1000) break;
          from = Number(page[1000][0]);
        }
        await client.end();
        check('bare pg read', n, PG_EVENTS);
        return n;
      },
      async () => {
        const reader = new EventsourcingPostgresStore(url, { password: server.password });
        let n = 0;
        for await (const page of pagesOf((from: number | undefined, limit) => reader.readAll({ fromPosition: from, limit }), {
          pageSize: 1000,
        }))
          n += page.length;
        await reader.close();
        check('store read', n, PG_EVENTS);
        return n;
      },
    ]);
    const ratio = bare.ms / store.ms;
    row(
      `read the log, ${fmtCount(PG_EVENTS)} events (bare pg keyset read, nothing decoded)`,
      `${fmtMs(bare.ms)} (${fmtRate(rate(bare))})`,
      { t: bare },
    );
    row('read + decode the log (store)', `${fmtMs(store.ms)} (${fmtRate(rate(store))})`, {
      t: store,
      target: '>= 0.5x bare',
      ratio,
      pass: ratio >= 0.5,
    });
    const firstPages: number[] = [];
    const opened: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const reader = new EventsourcingPostgresStore(url, { password: server.password });
      let started = performance.now();
      const page = await reader.listStreams({ limit: 100 });
      opened.push(performance.now() - started);
      started = performance.now();
      await reader.listStreams({ limit: 100, after: page.next });
      firstPages.push(performance.now() - started);
      if (page.items.length !== 100) throw new Error('listStreams gave a short page');
      await reader.close();
    }
    row(`first page of listStreams (100 of ${fmtCount(PG_AGGREGATES)} streams), just opened (connect included)`, fmtMs(median(opened)), {
      target: '< 100 ms',
      pass: median(opened) < 100,
    });
    row('  the next page, connected', fmtMs(median(firstPages)), { target: '< 100 ms', pass: median(firstPages) < 100 });
  } finally {
    server.stop();
  }
  return rows;
}

/**
 * The debugger (issue 9): the standalone adapter (dist/debugAdapter.js) over stdio on the 1M store
 * with the trivial projection, stopped at step 500,000 (by an invariant); then the time of each
 * `next` and `stepBack` from the request to the stop, plus what VS Code asks on every stop (stack
 * trace, scopes, the State's variables) — without breakpoints in the code, and with one (every
 * `next` then runs live in the worker); and what a conditional line breakpoint on a hot line costs
 * a run (V8 evaluates its condition on every pass).
 */
async function benchDebugger(engine: SqliteEngine, stores: Stores): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const row = rowAdder(engine.name, rows);
  const dir = mkdtempSync(join(os.tmpdir(), 'eventscope-bench-debug-'));
  const projection = join(dir, 'count.js');
  writeFileSync(projection, 'export default {\n  init: () => ({ n: 0 }),\n  any: (state, event) => {\n    state.n += 1;\n  },\n};\n');
  const dc = new DebugClient(process.execPath, join(__dirname, 'debugAdapter.js'), 'eventscope', {
    env: { ...process.env, EVENTSCOPE_SQLITE_ENGINE: engine.name },
  });
  await dc.start();
  const thread = { threadId: 1 };
  const stopped = () => dc.waitForEvent('stopped', 600_000);
  /** Milliseconds from the request to the stop, and the views' requests after it. */
  const timedStop = async (request: () => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    const stop = stopped();
    await request();
    await stop;
    const frames = (await dc.stackTraceRequest(thread)).body.stackFrames;
    const scopes = (await dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
    await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === 'State')!.variablesReference });
    return performance.now() - started;
  };
  try {
    console.error(`  [${engine.name}] debugger: launch, run to step 500,000 ...`);
    await dc.initializeRequest({ adapterID: 'eventscope', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    const target = Math.floor(stores.expected.plain / 2);
    const first = stopped();
    const launchStarted = performance.now();
    // To step 500,000 the fast way (an invariant: a scan in the worker, no debugger in the code).
    const launched = dc.launchRequest({
      store: stores.plain,
      projection,
      invariant: `event.position !== ${target + 1}`,
    } as DebugProtocol.LaunchRequestArguments);
    await dc.configurationDoneRequest();
    await launched;
    await first;
    const toTarget = performance.now() - launchStarted;
    row('debugger: launch 1M + run to step 500,000 (an invariant)', fmtMs(toTarget));
    const nexts: number[] = [];
    const backs: number[] = [];
    const liveNexts: number[] = [];
    for (let i = 0; i < 20; i++) nexts.push(await timedStop(() => dc.nextRequest(thread)));
    for (let i = 0; i < 20; i++) backs.push(await timedStop(() => dc.stepBackRequest(thread)));
    // A line breakpoint that never pauses: every `next` is then a live step (breakpoints active in the worker).
    await dc.setBreakpointsRequest({ source: { path: projection }, breakpoints: [{ line: 4, condition: 'event.position < 0' }] });
    // The first live step attaches the inspector to the worker (once per worker): measured apart.
    row(
      'debugger: first next with a line breakpoint set (attaches the inspector to the worker)',
      fmtMs(await timedStop(() => dc.nextRequest(thread))),
    );
    for (let i = 0; i < 20; i++) liveNexts.push(await timedStop(() => dc.nextRequest(thread)));
    // A conditional line breakpoint on a line every event runs: V8 evaluates the condition on each.
    const span = 10_000;
    const here = (await dc.evaluateRequest({ expression: 'event.position', context: 'repl' })).body.result;
    await dc.setBreakpointsRequest({
      source: { path: projection },
      breakpoints: [{ line: 4, condition: `event.position === ${Number(here) + span}` }],
    });
    const hot = performance.now();
    const paused = stopped();
    await dc.continueRequest(thread);
    await paused;
    row(
      `debugger: continue ${span.toLocaleString('en')} events to a conditional line breakpoint on a line every event runs`,
      `${fmtMs(performance.now() - hot)} (${(((performance.now() - hot) * 1000) / span).toFixed(0)} µs/event)`,
    );
    const p95 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length * 0.95)];
    for (const [label, times] of [
      ['next', nexts],
      ['stepBack', backs],
      ['next, a line breakpoint set', liveNexts],
    ] as const) {
      row(`debugger: ${label} at step ~500,000 + stack, scopes, State (20, p50 / p95)`, `${fmtMs(median(times))} / ${fmtMs(p95(times))}`, {
        target: '< 50 ms',
        pass: p95(times) < 50,
      });
    }
    await dc.terminateRequest();
  } finally {
    await dc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * A replay as the panel opens it, in a process that does nothing else (so its peak RSS, worker
 * included, is the replay's): time to the first progress report (the panel paints its progress)
 * and to its first rows and step; 100 random seeks; peak RSS.
 */
async function benchReplayAlone(engine: SqliteEngine, stores: Stores): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const row = rowAdder(engine.name, rows);
  console.error(`  [${engine.name}] replay: opened as the panel does ...`);
  await withCountingReplay(engine, stores, async (open) => {
    const started = performance.now();
    let firstProgress = 0;
    const session = await open(() => (firstProgress ||= performance.now() - started));
    await session.events(0, 200);
    await session.step(0);
    const ready = performance.now() - started;
    row('panel: first progress / first rows + step (1M)', `${fmtMs(firstProgress)} / ${fmtMs(ready)}`);
    await seekTimes(session);
    await session.dispose();
  });
  const peak = process.resourceUsage().maxRSS * 1024;
  row('peak RSS, replay + 100 seeks (1M, small state)', fmtMb(peak), { target: '< 300 MB', pass: peak < 300 * 1048576 });
  return rows;
}

// ---------------------------------------------------------------------------------------------
// The CLI against a Python loop doing the same work (sqlite3 + AES-GCM + zlib + json)

const CLI_EVENTS = 200_000;
const CLI_RUNS = 3;
const PYTHON_LOOP = resolve(__dirname, '..', 'scripts', 'bench_python_loop.py');

interface Command {
  file: string;
  args: string[];
}

/** Runs a command with stdout to a file (or /dev/null); its wall time, and the result. */
function wallClock(command: Command, stdoutPath: string, env: NodeJS.ProcessEnv): { ms: number; child: SpawnSyncReturns<string> } {
  const fd = openSync(stdoutPath, 'w');
  try {
    const started = performance.now();
    const child = spawnSync(command.file, command.args, { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', env });
    return { ms: performance.now() - started, child };
  } finally {
    closeSync(fd);
  }
}

/** Why a command failed, in one line (its stderr's last line). */
function failure(child: SpawnSyncReturns<string>): string | undefined {
  if (child.error) return child.error.message;
  if (child.status === 0) return undefined;
  const lines = (child.stderr ?? '').trim().split('\n');
  return `exit ${child.status ?? child.signal}: ${lines[lines.length - 1]}`;
}

/**
 * Both outputs parse as JSON arrays of `CLI_EVENTS` events, the same events (compared one by one
 * when the texts differ; today they are byte-identical). Returns what differs, if anything.
 */
function compareOutputs(cliPath: string, pythonPath: string): string | undefined {
  const cliText = readFileSync(cliPath, 'utf8');
  const pythonText = readFileSync(pythonPath, 'utf8');
  const cli = JSON.parse(cliText) as unknown[];
  if (cli.length !== CLI_EVENTS) return `the CLI printed ${cli.length} events`;
  if (cliText === pythonText) return undefined;
  const python = JSON.parse(pythonText) as unknown[];
  if (python.length !== CLI_EVENTS) return `the Python loop printed ${python.length} events`;
  for (let i = 0; i < cli.length; i++) {
    if (JSON.stringify(cli[i]) !== JSON.stringify(python[i])) return `event ${i} differs: ${JSON.stringify(python[i]).slice(0, 200)}`;
  }
  return undefined;
}

/**
 * `eventscope log STORE --json --limit 200000` (the built CLI, with each engine) against the
 * Python loop on the same events, all printing to /dev/null: best wall time of CLI_RUNS each,
 * taking turns. The outputs are compared first (a fast wrong answer would not count).
 */
function benchCliVsPython(engines: EngineName[], stores: Stores, dir: string): ResultRow[] {
  const rows: ResultRow[] = [];
  if (spawnSync('python3', ['--version']).status !== 0) {
    console.log('python3 is not installed here: the CLI vs Python comparison is skipped.');
    return rows;
  }
  const pythonRow = rowAdder('python3', rows);
  const keyBase64 = Buffer.from(stores.keyHex, 'hex').toString('base64');
  const cases = [
    { label: 'plain JSON', path: stores.plain, keyArgs: [] as string[] },
    { label: 'zlib+AES-GCM', path: stores.aes, keyArgs: ['--cipher-key', keyBase64] },
  ];
  const what = (label: string) => `log --json, first ${fmtCount(CLI_EVENTS)} events, ${label}`;
  const best = (list: number[]): Timed => {
    const ms = Math.min(...list);
    return { ms, runs: list.length, spread: (Math.max(...list) - ms) / ms, result: CLI_EVENTS };
  };
  for (const c of cases) {
    console.log(`CLI vs Python: ${c.label}, ${fmtCount(CLI_EVENTS)} events (${engines.join(', ')}) ...`);
    const py: Command = { file: 'python3', args: [PYTHON_LOOP, c.path, '--limit', String(CLI_EVENTS), ...c.keyArgs] };
    const cli: Command = {
      file: process.execPath,
      args: [join(__dirname, 'cli.js'), 'log', c.path, '--json', '--limit', String(CLI_EVENTS), ...c.keyArgs],
    };
    const envOf = (engine: EngineName) => ({ ...process.env, EVENTSCOPE_SQLITE_ENGINE: engine });
    const pyOut = join(dir, 'python-output.json');
    const cliOut = join(dir, 'cli-output.json');
    try {
      const pyFailed = failure(wallClock(py, pyOut, process.env).child);
      if (pyFailed) {
        console.log(`  the Python loop failed (${pyFailed}): ${c.label} skipped.`);
        pythonRow(`python loop, ${c.label}`, 'skipped', { ratio: pyFailed.slice(0, 60) });
        continue;
      }
      for (const engine of engines) {
        const cliFailed = failure(wallClock(cli, cliOut, envOf(engine)).child);
        if (cliFailed) throw new Error(`the CLI failed (${c.label}, ${engine}): ${cliFailed}`);
        const differs = compareOutputs(cliOut, pyOut);
        if (differs) throw new Error(`the CLI (${engine}) and the Python loop print different events (${c.label}): ${differs}`);
      }
    } finally {
      rmSync(cliOut, { force: true });
      rmSync(pyOut, { force: true });
    }
    const times = { python: [] as number[], cli: engines.map((): number[] => []) };
    for (let i = 0; i < CLI_RUNS; i++) {
      times.python.push(wallClock(py, '/dev/null', process.env).ms);
      engines.forEach((engine, e) => times.cli[e].push(wallClock(cli, '/dev/null', envOf(engine)).ms));
    }
    const python = best(times.python);
    pythonRow(`python loop, same events and output, ${c.label}`, `${fmtMs(python.ms)} (${fmtRate(rate(python))})`, { t: python });
    engines.forEach((engine, e) => {
      const t = best(times.cli[e]);
      const ratio = python.ms / t.ms;
      rowAdder(`cli (${engine})`, rows)(what(c.label), `${fmtMs(t.ms)} (${fmtRate(rate(t))})`, {
        t,
        target: '>= 3x the python loop',
        ratio,
        pass: ratio >= 3,
      });
    });
  }
  return rows;
}

function runEngine(name: EngineName, stores: Stores, mode = '--engine-run'): EngineReport {
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--expose-gc', __filename, mode, name, JSON.stringify(stores)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 << 20,
  });
  if (child.status !== 0) throw new Error(`the ${name} benchmark failed (exit ${child.status ?? child.signal})`);
  return { rows: JSON.parse(child.stdout) as ResultRow[], ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Main

/**
 * The agent tools through the MCP server (`node dist/cli.js mcp` and the SDK's client over stdio,
 * as an agent runs them): the size of each tool's default answer on the demo store (target
 * < 20 kB), and on the 1M-event store when the run has one, find_first_failure and search_events.
 */
async function benchAgentTools(dir: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const row = rowAdder('mcp', rows);
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const connect = async (store: string) => {
    const client = new Client({ name: 'eventscope-bench', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [join(__dirname, 'cli.js'), 'mcp', '--store', store, '--allow-code'],
        stderr: 'ignore',
      }),
    );
    return client;
  };
  const call = async (client: Awaited<ReturnType<typeof connect>>, name: string, args: Record<string, unknown>) => {
    const started = performance.now();
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 });
    const ms = performance.now() - started;
    const text = (result.content as { text: string }[])[0]?.text ?? '';
    if (result.isError) throw new Error(`${name}: ${text}`);
    return { ms, bytes: Buffer.byteLength(JSON.stringify(result)), structured: result.structuredContent as Record<string, unknown> };
  };
  const demo = join(dir, 'mcp-demo.sqlite');
  rmSync(demo, { force: true });
  writeDemoStore(demo);
  const client = await connect(demo);
  try {
    const first = (await call(client, 'read_log', { limit: 1 })).structured.events as { streamId: string }[];
    const calls: [string, Record<string, unknown>][] = [
      ['store_info', {}],
      ['list_streams', {}],
      ['read_stream', { streamId: first[0].streamId }],
      ['read_log', {}],
      ['show_event', { streamId: first[0].streamId, revision: 1 }],
      ['search_events', { where: 'true' }],
      ['replay', {}],
      ['find_first_failure', { projection: resolve(__dirname, '..', 'examples', 'bank-balances.js') }],
    ];
    for (const [name, args] of calls) {
      const { bytes } = await call(client, name, args);
      row(`${name}: the default answer's size (demo store)`, `${(bytes / 1000).toFixed(1)} kB`, {
        target: '< 20 kB',
        ratio: bytes / 20_000,
        pass: bytes < 20_000,
      });
    }
  } finally {
    await client.close();
  }
  const big = join(dir, 'plain-1m.db');
  if (existsSync(big)) {
    const own = await connect(big);
    try {
      const holds = await call(own, 'find_first_failure', { invariant: 'event.revision >= 1' });
      row(
        `find_first_failure on ${fmtCount(holds.structured.steps as number)} events, the invariant holds throughout (generic projection)`,
        fmtMs(holds.ms),
      );
      const fails = await call(own, 'find_first_failure', { invariant: 'state.streams[event.streamId].events <= 10' });
      row(
        `find_first_failure on the same store, fails at step ${fmtCount(fails.structured.step as number)} (a stream's 11th event; answer ${(fails.bytes / 1000).toFixed(1)} kB)`,
        fmtMs(fails.ms),
      );
      const plain = await call(own, 'replay', {});
      row('replay of the same store, no invariant (the first pass alone, for comparison)', fmtMs(plain.ms));
      const search = await call(own, 'search_events', { where: 'event.data.amount === "no such amount"' });
      row(
        `search_events over the whole log, no match (${fmtCount(search.structured.scanned as number)} events looked at)`,
        fmtMs(search.ms),
      );
    } finally {
      await own.close();
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const started = performance.now();
  if (!globalThis.gc) console.log('note: run with --expose-gc (npm run bench does) for GCs between runs');
  const wanted = process.env.EVENTSCOPE_SQLITE_ENGINE;
  const names: EngineName[] = wanted === 'better-sqlite3' || wanted === 'node:sqlite' ? [wanted] : ['better-sqlite3', 'node:sqlite'];
  const engines: SqliteEngine[] = [];
  for (const name of names) {
    try {
      engines.push(sqliteEngine(name));
    } catch (error) {
      console.log(`engine ${name} does not load here, skipped: ${(error as Error).message}`);
    }
  }
  console.log(
    `Eventscope bench: node ${process.version}, ${os.cpus().length} CPUs, engines: ${engines.map((x) => x.name).join(' + ')}` +
      `${wanted ? ` (EVENTSCOPE_SQLITE_ENGINE=${wanted})` : ''}; stores written with ${defaultSqliteEngine().name}`,
  );

  const reuse = process.env.EVENTSCOPE_BENCH_DIR;
  const dir = reuse ? resolve(reuse) : mkdtempSync(join(os.tmpdir(), 'eventscope-bench-'));
  if (reuse) mkdirSync(dir, { recursive: true });
  const cleanup = () => {
    if (reuse || process.env.EVENTSCOPE_BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const alone = { python: benchPython, postgres: benchPostgres, language: benchLanguageServer, mcp: benchAgentTools }[
      process.env.EVENTSCOPE_BENCH_ONLY ?? ''
    ];
    if (alone) {
      const rows = await alone(dir);
      console.log('');
      printTable(rows);
      return;
    }
    const keyFile = join(dir, 'cipher.key');
    const key = existsSync(keyFile) ? readFileSync(keyFile) : randomBytes(32);
    const big: StoreSpec = {
      name: 'plain-1m',
      aggregates: 100_000,
      eventsPerAggregate: 10,
      bigEvents: 10_000,
      seed: 1234,
      compress: false,
      encrypt: false,
    };
    const specs = {
      plain: big,
      aes: { ...big, name: 'aes-1m', compress: true, encrypt: true },
      small: { ...big, name: 'plain-100k', aggregates: 10_000, bigEvents: 0, seed: 99 },
    };
    const paths = { plain: join(dir, 'plain-1m.db'), aes: join(dir, 'aes-1m.db'), small: join(dir, 'plain-100k.db') };
    const kinds = Object.keys(paths) as (keyof typeof paths)[];
    const missing = kinds.filter((k) => !existsSync(paths[k]));
    if (missing.includes('aes')) writeFileSync(keyFile, key);

    if (missing.length) {
      console.log(`Generating ${missing.map((k) => specs[k].name).join(', ')} in ${dir} (the 1M stores in worker threads) ...`);
      const genStarted = performance.now();
      const results = await Promise.all(
        missing.map((k) =>
          k === 'small'
            ? Promise.resolve().then(() => writeStore({ spec: specs[k], path: paths[k], key }))
            : writeStoreInWorker({ spec: specs[k], path: paths[k], key }),
        ),
      );
      for (const r of results) {
        console.log(
          `  ${r.name.padEnd(11)} ${fmtCount(r.events).padStart(9)} events in ${fmtMs(r.ms)} (${fmtRate((r.events / r.ms) * 1000)})`,
        );
      }
      console.log(`  generation wall time ${fmtMs(performance.now() - genStarted)}`);
    } else console.log(`Reusing the stores in ${dir}`);
    for (const k of kinds) console.log(`  ${specs[k].name.padEnd(11)} ${fmtMb(statSync(paths[k]).size).padStart(9)}  ${paths[k]}`);
    const stores: Stores = {
      ...paths,
      keyHex: key.toString('hex'),
      bigStreamId: bigStreamIdOf(big)!,
      expected: { plain: eventCount(big), small: eventCount(specs.small) },
    };
    console.log(`  big aggregate ${stores.bigStreamId} (10,000 events) in both 1M stores`);

    for (const engine of engines) queryPlans(engine, paths.plain);

    const only = process.env.EVENTSCOPE_BENCH_ONLY;
    const rows: ResultRow[] = [];
    for (const engine of engines) {
      if (only === undefined || only === 'read') {
        console.log(`Benchmarking ${engine.name} (in a fresh process) ...`);
        const report = runEngine(engine.name, stores, only === 'read' ? '--read-run' : '--engine-run');
        console.log(`  [${engine.name}] done in ${fmtMs(report.ms)}`);
        rows.push(...report.rows);
      }
      if (only === undefined || only === 'replay' || only === 'debug') {
        console.log(`Benchmarking replays with ${engine.name} (in fresh processes) ...`);
        for (const mode of only === 'debug' ? ['--debug-run'] : ['--replay-run', '--replay-alone', '--debug-run']) {
          const replays = runEngine(engine.name, stores, mode);
          console.log(`  [${engine.name}] done in ${fmtMs(replays.ms)}`);
          rows.push(...replays.rows);
        }
      }
    }
    if (only === undefined) rows.push(...(await benchPython(dir)), ...(await benchPostgres()));
    if (only === undefined) rows.push(...(await benchLanguageServer(dir)));
    if (only === undefined || only === 'cli')
      rows.push(
        ...benchCliVsPython(
          engines.map((e) => e.name),
          stores,
          dir,
        ),
      );

    console.log('');
    for (const line of [
      `Times are medians of n runs: up to ${FULL_RUNS} for whole-log reads (the raw baseline and the store read taking turns), up to`,
      `${SMALL_RUNS} for warm queries (after one untimed call), ${COLD_RUNS} for first calls; fewer when the runs passed a time budget.`,
      'spread = (slowest - fastest) / 2, relative to the median.',
      `Throughput ratios are over the raw baseline of the same store and engine: the store's readAll SQL in keyset pages of ${PAGE},`,
      'rows fetched as arrays, nothing decoded.',
      '"Just opened" = the first call on a newly opened EventsourcingSqliteStore (opening included; no statement or category',
      'caches). The OS file cache is warm throughout (the stores were just written).',
      `CLI vs Python: wall clock of whole processes (start-up included), best of ${CLI_RUNS}, printing to /dev/null; the ratio is`,
      "the Python loop's time over the CLI's (scripts/bench_python_loop.py: sqlite3, cryptography's AESGCM, zlib, json).",
      '',
    ])
      console.log(line);
    printTable(rows);
    console.log('');
    const misses = rows.filter((r) => r.result === 'MISS');
    if (misses.length) {
      console.log(`${misses.length} target(s) missed:`);
      for (const m of misses) console.log(`  - ${m.engine}: ${m.measurement}: ${m.value} (target ${m.target})`);
    } else console.log('All targets met.');
  } finally {
    cleanup();
  }
  console.log(`Total elapsed: ${fmtMs(performance.now() - started)}`);
}

function fail(error: unknown): void {
  console.error(error);
  process.exitCode = 1;
}

if (!isMainThread) {
  parentPort!.postMessage(writeStore(workerData as GenerateRequest));
} else if (process.argv[2] === '--memory-probe') {
  memoryProbe(process.argv[3], process.argv[4] as EngineName, Number(process.argv[5]), Number(process.argv[6])).catch(fail);
} else if (['--replay-run', '--replay-alone', '--debug-run'].includes(process.argv[2])) {
  ({ '--replay-run': benchReplay, '--replay-alone': benchReplayAlone, '--debug-run': benchDebugger })[process.argv[2]]!(
    sqliteEngine(process.argv[3] as EngineName),
    JSON.parse(process.argv[4]) as Stores,
  )
    .then((rows) => process.stdout.write(JSON.stringify(rows)))
    .catch(fail);
} else if (process.argv[2] === '--engine-run' || process.argv[2] === '--read-run') {
  benchEngine(sqliteEngine(process.argv[3] as EngineName), JSON.parse(process.argv[4]) as Stores, process.argv[2] === '--read-run')
    .then((rows) => process.stdout.write(JSON.stringify(rows)))
    .catch(fail);
} else {
  main().catch(fail);
}
