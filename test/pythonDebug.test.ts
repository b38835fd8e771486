/**
 * Real Python breakpoints in a replay (issue 10), at the protocol level: the replay's Python runner
 * starts under debugpy (listening), a DAP client (as VS Code's Python debugger would) attaches and
 * sets a breakpoint in an `@event` method of the demo bank's own model (examples/bankapp), and the
 * replay stops there with the event's values in the locals; continuing moves the replay on.
 *
 * Needs the eventsourcing library (see helpers/python.ts) and debugpy (importable, or Debian's
 * python3-debugpy, which .ci/run installs). Skipped without, saying so.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DEMO_STORY, writeDemoStore } from '../src/core/demo';
import { ReplaySession } from '../src/core/projection/session';
import { EventsourcingSqliteStore } from '../src/core/stores/eventsourcingSqlite';
import { eventsourcingEnv, NO_EVENTSOURCING } from './helpers/python';

const workerScript = resolve(__dirname, '..', 'dist', 'projection-worker.js');
const BANKAPP = resolve(__dirname, '..', 'examples', 'bankapp');
const MODEL = join(BANKAPP, 'bankapp', 'domainmodel.py');
const DEBIAN = '/usr/lib/python3/dist-packages';

/** Where debugpy comes from: '' when python3 imports it, Debian's folder, or undefined when nowhere. */
function debugpyPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const path of ['', DEBIAN]) {
    if (path && !existsSync(join(path, 'debugpy'))) continue;
    try {
      execFileSync(
        'python3',
        ['-c', `import sys; sys.path.append(${JSON.stringify(path)}) if ${JSON.stringify(path)} else None; import debugpy`],
        {
          env,
          stdio: 'ignore',
        },
      );
      return path;
    } catch {
      // next
    }
  }
  return undefined;
}

/** A DAP client on a socket (DebugClient keeps its `connect` for subclasses). */
class SocketClient extends DebugClient {
  constructor() {
    super('python3', '', 'debugpy');
  }
  private socket: Socket | undefined;
  attach(socket: Socket): void {
    this.socket = socket;
    this.connect(socket, socket);
  }
  close(): void {
    this.socket?.destroy();
  }
}

/**
 * Listens for debugpy as VS Code's Python debugger does (an `attach` with `listen`): the runner
 * connects here. The port, and the client once debugpy has connected.
 */
async function listenForDebugpy(): Promise<{ port: number; client: Promise<SocketClient>; close: () => void }> {
  const server = createServer();
  const client = new Promise<SocketClient>((done) =>
    server.once('connection', (socket) => {
      const c = new SocketClient();
      c.attach(socket);
      done(c);
    }),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { port: (server.address() as { port: number }).port, client, close: () => server.close() };
}

describe('Python breakpoints: a replay through debugpy', function () {
  this.timeout(120_000);
  const env = eventsourcingEnv();
  const debugpy = env && debugpyPath(env);
  const saved = process.env.PYTHONPATH;
  let dir: string;
  let client: SocketClient | undefined;
  let session: ReplaySession | undefined;

  before(function () {
    if (!env || debugpy === undefined) {
      console.log(`    ${!env ? NO_EVENTSOURCING : '(skipped: no debugpy; apt-get install python3-debugpy, or pip install debugpy)'}`);
      this.skip();
    }
    process.env.PYTHONPATH = env.PYTHONPATH;
    dir = mkdtempSync(join(tmpdir(), 'eventscope-pydebug-'));
  });
  after(async () => {
    client?.close();
    await session?.dispose();
    if (saved === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stops in an @event method with the event’s values in its locals, and continuing finishes the replay', async () => {
    const db = join(dir, 'demo.sqlite');
    writeDemoStore(db);
    const store = new EventsourcingSqliteStore(db);
    const dana =
      (await store.listStreams({ limit: 100 })).items.find((s) => s.label === DEMO_STORY.accountName) ??
      (await store.listStreams({ limit: 100 })).items[3];
    const first = (await store.readStream(dana.streamId, { limit: 5 })).items.find((e) => e.type.endsWith('.Credited'))!;
    await store.close();
    const line =
      readFileSync(MODEL, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('self.balance += amount')) + 1;
    assert.ok(line > 0);

    const listener = await listenForDebugpy();
    const port = listener.port;
    const opening = ReplaySession.open({
      workerScript,
      source: { kind: 'store', location: db, scope: { stream: dana.streamId } },
      projection: {
        kind: 'python',
        pythonPath: [BANKAPP],
        debug: { mode: 'connect', host: '127.0.0.1', port, ...(debugpy ? { debugpyPath: debugpy } : {}) },
      },
      timeBudgetMs: 200, // a paused step must not count against it
    });
    const failed = opening.then(
      () => undefined,
      (error: unknown) => error,
    );
    client = await listener.client;
    listener.close();
    await client.initializeRequest({ adapterID: 'debugpy', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    // debugpy answers `attach` once configuration is done: breakpoints first.
    const attached = client.attachRequest({ justMyCode: true } as DebugProtocol.AttachRequestArguments);
    await client.waitForEvent('initialized', 30_000);
    const set = await client.setBreakpointsRequest({ source: { path: MODEL }, breakpoints: [{ line }] });
    assert.equal(set.body.breakpoints.length, 1);
    // The replay goes on as soon as configuration is done: listen for the stop before.
    const stopping = client.waitForEvent('stopped', 60_000);
    await client.configurationDoneRequest();
    await attached;

    const stopped = (await stopping) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'breakpoint');
    const stack = await client.stackTraceRequest({ threadId: stopped.body.threadId!, startFrame: 0, levels: 5 });
    const top = stack.body.stackFrames[0];
    assert.equal(top.name, 'credit');
    assert.equal(top.line, line);
    assert.equal(top.source?.path, MODEL);
    const scopes = await client.scopesRequest({ frameId: top.id });
    const locals = await client.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
    const amount = locals.body.variables.find((v) => v.name === 'amount');
    assert.equal(
      amount?.value,
      `Decimal('${first.data.amount as string}')`,
      'the first Credited event’s amount, as the user’s code sees it',
    );
    assert.ok(locals.body.variables.some((v) => v.name === 'self'));

    // No more stops: the replay goes on to its end.
    await client.setBreakpointsRequest({ source: { path: MODEL }, breakpoints: [] });
    await client.continueRequest({ threadId: stopped.body.threadId! });
    session = await opening;
    assert.equal(await failed, undefined);
    assert.deepEqual(session.summary.errors, []);
    assert.equal(session.summary.steps, dana.count);
    const final = (await session.finalState()) as { full_name: string; version: number };
    assert.equal(final.full_name, dana.label ?? final.full_name);
    assert.equal(final.version, dana.count);
  });
});
