/**
 * The `eventscope` debug type inside a real VS Code (code-server's extension host): sessions on the
 * demo store with examples/bank-balances.js, driven with DAP requests (`session.customRequest`) and
 * watched through a debug adapter tracker (its stops and `eventscopeStep` events); a line
 * breakpoint in the projection; connection names resolved (with a cipher key from secret storage,
 * in memory only); one sentence, and no session, for an unknown connection or untrusted code; and
 * "Debug Replay…" with an open replay panel that follows the step.
 */

import * as assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as vscode from 'vscode';
import { writeDemoStore } from '../../src/core/demo';
import { eventKey, type RecordedEvent } from '../../src/core/events';
import { EventsourcingSqliteStore } from '../../src/core/stores/eventsourcingSqlite';
import { iterateAll } from '../../src/core/stores/types';
import { STEP_EVENT, type StepEventBody } from '../../src/debug/adapter';
import type { Ctx } from '../../src/extension/ctx';
import type { Node } from '../../src/extension/streamsTree';
import { errorsShownBy, waitFor } from './helpers';
import { cents } from '../helpers/money';

const EXTENSION_ID = 'eventscope.eventscope';
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'eventsourcing');
const FIXTURE_KEY = 'ZXZlbnRzb3VyY2luZy1maXh0dXJlLWtleS0zMmJ5dGU=';
const THREAD = { threadId: 1 };

let ctx: Ctx;
let dir: string;
let demoPath: string;
let demoEvents: RecordedEvent[];
/** examples/bank-balances.js of the extension (its own code: it runs in Restricted Mode too). */
let projection: string;
/** Every message each session's adapter sent, by session id (a debug adapter tracker). */
const sent = new Map<string, DebugProtocol.ProtocolMessage[]>();
const subscriptions: vscode.Disposable[] = [];

interface Stop {
  reason: string;
  text?: string;
  step: StepEventBody;
}

/** The stops a session made so far, each with the step event sent before it. */
function stops(session: vscode.DebugSession): Stop[] {
  const out: Stop[] = [];
  let step: StepEventBody | undefined;
  for (const message of sent.get(session.id) ?? []) {
    if (message.type !== 'event') continue;
    const event = message as DebugProtocol.Event;
    if (event.event === STEP_EVENT) step = event.body as StepEventBody;
    if (event.event === 'stopped') {
      const body = (event as DebugProtocol.StoppedEvent).body;
      assert.ok(step, `a ${STEP_EVENT} event came before the stop`);
      out.push({ reason: body.reason, ...(body.text !== undefined ? { text: body.text } : {}), step });
    }
  }
  return out;
}

/** The `n`th stop of a session (0-based), once it is there. */
function nthStop(session: vscode.DebugSession, n: number): Promise<Stop> {
  return waitFor(`stop ${n + 1} of ${session.name}`, () => stops(session)[n]);
}

/** The next stop of a session after `request` (a DAP request such as `next`). */
async function stopAfter(session: vscode.DebugSession, request: () => Thenable<unknown>): Promise<Stop> {
  const before = stops(session).length;
  await request();
  return nthStop(session, before);
}

/** Starts a debug session and answers it with its first stop. */
async function start(config: vscode.DebugConfiguration): Promise<{ session: vscode.DebugSession; first: Stop }> {
  let session: vscode.DebugSession | undefined;
  const listener = vscode.debug.onDidStartDebugSession((s) => {
    if (s.type === 'eventscope') session = s;
  });
  try {
    const [started, shown] = await errorsShownBy(ctx, () => vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config));
    assert.deepEqual(shown, [], 'no error was shown');
    assert.equal(started, true, `the session "${config.name}" started`);
    const found = await waitFor('the session', () => session);
    return { session: found, first: await nthStop(found, 0) };
  } finally {
    listener.dispose();
  }
}

/** A frame's file: VS Code hands paths to extensions as URIs (`vscode-remote://…` in code-server). */
function pathOf(source: DebugProtocol.Source | undefined): string | undefined {
  const path = source?.path;
  return path === undefined || path.startsWith('/') ? path : vscode.Uri.parse(path).fsPath;
}

async function evaluate(session: vscode.DebugSession, expression: string): Promise<string> {
  const body = (await session.customRequest('evaluate', { expression, context: 'repl' })) as DebugProtocol.EvaluateResponse['body'];
  return body.result;
}

async function frames(session: vscode.DebugSession): Promise<DebugProtocol.StackFrame[]> {
  return ((await session.customRequest('stackTrace', THREAD)) as DebugProtocol.StackTraceResponse['body']).stackFrames;
}

describe('debugging a replay: the eventscope debug type (in a real VS Code)', function () {
  this.timeout(90_000);

  before(async () => {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    ctx.replays.historyLimit = 300;
    await vscode.commands.executeCommand('eventscope.openDemo');
    dir = mkdtempSync(join(tmpdir(), 'eventscope-debug-'));
    demoPath = join(dir, 'demo.sqlite');
    writeDemoStore(demoPath);
    const store = new EventsourcingSqliteStore(demoPath);
    demoEvents = [];
    for await (const e of iterateAll(store)) demoEvents.push(e);
    await store.close();
    projection = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'examples', 'bank-balances.js');
    subscriptions.push(
      vscode.debug.registerDebugAdapterTrackerFactory('eventscope', {
        createDebugAdapterTracker: (session) => {
          sent.set(session.id, []);
          return { onDidSendMessage: (message: DebugProtocol.ProtocolMessage) => sent.get(session.id)?.push(message) };
        },
      }),
    );
  });

  afterEach(async () => {
    ctx.replays.trustOverride = undefined;
    await vscode.debug.stopDebugging();
    await waitFor('the sessions to end', () => vscode.debug.activeDebugSession === undefined);
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    for (const panel of [...ctx.replays.panels]) panel.dispose();
  });

  after(async () => {
    for (const d of subscriptions) d.dispose();
    for (const name of ['debug demo', 'debug secret']) {
      const connection = ctx.connections.get(name);
      if (connection) await ctx.connections.remove(connection);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  it('contributes the debug type, its configurations, breakpoints in JS/TS, "Debug Replay…" and the activation', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const debuggers = pkg.contributes.debuggers as {
      type: string;
      label: string;
      configurationAttributes: { launch: { properties: unknown } };
      configurationSnippets: { label: string }[];
    }[];
    const debuggerOf = debuggers.find((d) => d.type === 'eventscope');
    assert.ok(debuggerOf);
    assert.equal(debuggerOf.label, 'Eventscope Replay');
    // Every launch argument of the adapter, described (VS Code adds its own common ones beside them).
    const properties = debuggerOf.configurationAttributes.launch.properties as Record<
      string,
      { description?: string; markdownDescription?: string }
    >;
    for (const name of [
      'store',
      'stream',
      'category',
      'all',
      'eventsFile',
      'projection',
      'invariant',
      'stopOnEntry',
      'cipherKey',
      'cwd',
      'timeBudgetMs',
      'memoryLimitMb',
      'labelRules',
    ]) {
      assert.ok(properties[name]?.description ?? properties[name]?.markdownDescription, `${name} is described`);
    }
    assert.match(properties.cipherKey.markdownDescription!, /Never write the key here: use `\$\{input:…\}`/);
    assert.deepEqual(
      debuggerOf.configurationSnippets.map((s) => s.label),
      ['Eventscope: Debug a replay of a store', 'Eventscope: Debug a replay of a stream', 'Eventscope: Debug a replay of a .events file'],
    );
    assert.deepEqual(
      pkg.contributes.breakpoints.map((b: { language: string }) => b.language),
      ['javascript', 'typescript'],
    );
    for (const event of ['onDebugResolve:eventscope', 'onDebugDynamicConfigurations:eventscope'])
      assert.ok(pkg.activationEvents.includes(event), event);
    assert.ok((await vscode.commands.getCommands(true)).includes('eventscope.debugReplay'));
    const menus = pkg.contributes.menus as Record<string, { command: string; when: string }[]>;
    assert.match(menus['view/item/context'].find((m) => m.command === 'eventscope.debugReplay')!.when, /connection\|category\$\|stream\$/);
    assert.match(menus['explorer/context'].find((m) => m.command === 'eventscope.debugReplay')!.when, /\.events/);
  });

  describe('sessions', () => {
    before(function () {
      // VS Code starts debug sessions only in a trusted workspace (scripts/vscode/run.mjs runs the tests so).
      if (!vscode.workspace.isTrusted) this.skip();
    });

    it('stops on entry, steps forward and back, and evaluates over the state in the debug console', async () => {
      const { session, first } = await start({
        type: 'eventscope',
        request: 'launch',
        name: 'demo on entry',
        store: demoPath,
        projection,
        stopOnEntry: true,
      });
      assert.equal(first.reason, 'entry');
      assert.deepEqual(first.step, { index: 0, steps: demoEvents.length, event: eventKey(demoEvents[0]) });
      assert.equal(session.configuration.cwd, vscode.workspace.workspaceFolders![0].uri.fsPath, 'cwd is the workspace folder');
      const top = await frames(session);
      assert.equal(pathOf(top[0].source), projection);
      assert.match(top.at(-1)!.name, new RegExp(`^Opened #1 @ .*, step 1 of ${demoEvents.length}$`));

      const next = await stopAfter(session, () => session.customRequest('next', THREAD));
      assert.equal(next.reason, 'step');
      assert.deepEqual(next.step, { index: 1, steps: demoEvents.length, event: eventKey(demoEvents[1]) });
      assert.match(demoEvents[1].type, /\.Credited$/);
      assert.equal(await evaluate(session, 'state.balances[event.streamId]'), String(cents(demoEvents[1].data.amount)));
      assert.equal(await evaluate(session, 'previousState.balances[event.streamId]'), '0');

      const back = await stopAfter(session, () => session.customRequest('stepBack', THREAD));
      assert.deepEqual(back.step, { index: 0, steps: demoEvents.length, event: eventKey(demoEvents[0]) });
      assert.equal(await evaluate(session, 'Object.keys(state.balances).length'), '1');
    });

    it('pauses at a line breakpoint inside the Debited handler, with its locals, on a Debited event', async () => {
      const lines = readFileSync(projection, 'utf8').split('\n');
      const line = lines.findIndex((l) => l.trim().startsWith('Debited:')) + 2; // the handler's body, 1-based
      assert.match(lines[line - 1], /-= cents/);
      vscode.debug.addBreakpoints([
        new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(projection), new vscode.Position(line - 1, 0))),
      ]);
      const { session, first } = await start({
        type: 'eventscope',
        request: 'launch',
        name: 'demo to a line',
        store: demoPath,
        projection,
      });
      assert.equal(first.reason, 'breakpoint', first.text);
      const firstDebit = demoEvents.findIndex((e) => e.type.endsWith('.Debited'));
      assert.deepEqual(first.step.event, eventKey(demoEvents[firstDebit]));
      const [top] = await frames(session);
      assert.equal(pathOf(top.source), projection);
      assert.equal(top.line, line);
      // Paused inside the handler (the inspector works in the extension host too): its own locals.
      assert.equal(top.name, 'Debited');
      const { scopes } = (await session.customRequest('scopes', { frameId: top.id })) as {
        scopes: { name: string; variablesReference: number }[];
      };
      const local = scopes.find((s) => s.name === 'Local');
      assert.ok(local, `a Local scope among ${scopes.map((s) => s.name).join(', ')}`);
      const { variables } = (await session.customRequest('variables', { variablesReference: local.variablesReference })) as {
        variables: { name: string }[];
      };
      assert.deepEqual(variables.map((v) => v.name).sort(), ['event', 'state']);
      const amount = (await session.customRequest('evaluate', { expression: 'event.data.amount', frameId: top.id, context: 'repl' })) as {
        result: string;
      };
      assert.equal(amount.result, JSON.stringify(demoEvents[firstDebit].data.amount));
      // Continue runs on to the next Debited.
      const next = await stopAfter(session, () => session.customRequest('continue', THREAD));
      assert.equal(next.reason, 'breakpoint');
      assert.deepEqual(next.step.event, eventKey(demoEvents.find((e, i) => i > firstDebit && e.type.endsWith('.Debited'))!));
    });

    it('takes a connection name as "store", with its cipher key from secret storage, in no configuration', async () => {
      const secret = join(dir, 'c_aes_zlib.db');
      copyFileSync(join(FIXTURES, 'c_aes_zlib.db'), secret);
      chmodSync(secret, 0o644);
      await ctx.connections.add({ name: 'debug secret', kind: 'eventsourcing-sqlite', path: secret }, FIXTURE_KEY, 'user');
      const config = {
        type: 'eventscope',
        request: 'launch',
        name: 'secret store',
        store: 'debug secret',
        category: 'BankAccount',
        stopOnEntry: true,
      };
      const { session, first } = await start(config);
      assert.equal(first.reason, 'entry');
      assert.equal(session.configuration.store, secret, 'the connection name resolved to its file');
      assert.equal(session.configuration.connection, 'debug secret');
      assert.ok(!JSON.stringify(session.configuration).includes(FIXTURE_KEY), 'the key is not in the session’s configuration');
      assert.equal(config.store, 'debug secret', 'the configuration given is left as it was');
      assert.ok(!('cipherKey' in config));
      assert.match(await evaluate(session, 'event.type'), /BankAccount\.Opened"$/, 'the encrypted events decode');
      const launch = JSON.stringify(vscode.workspace.getConfiguration('launch').inspect('configurations') ?? {});
      assert.ok(!launch.includes(FIXTURE_KEY), 'the key is not in any launch configuration');
    });

    it('says in one sentence that a connection name is unknown, and starts no session', async () => {
      let started = 0;
      const listener = vscode.debug.onDidStartDebugSession(() => started++);
      try {
        const config = { type: 'eventscope', request: 'launch', name: 'nowhere', store: 'No such connection', stopOnEntry: true };
        const [ok, shown] = await errorsShownBy(ctx, () => vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config));
        assert.equal(ok, false);
        assert.deepEqual(shown, ['There is no connection named "No such connection", nor a file of that name.']);
        assert.equal(started, 0);
        assert.equal(vscode.debug.activeDebugSession, undefined);
      } finally {
        listener.dispose();
      }
    });

    it('runs a projection file of the workspace only when the workspace is trusted; the generic projection always', async () => {
      const own = join(dir, 'balances.js');
      copyFileSync(projection, own);
      ctx.replays.trustOverride = false;
      const config = { type: 'eventscope', request: 'launch', name: 'untrusted', store: demoPath, projection: own, stopOnEntry: true };
      const [ok, shown] = await errorsShownBy(ctx, () => vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config));
      assert.equal(ok, false);
      assert.equal(shown.length, 1);
      assert.match(shown[0], /^balances\.js is code from this workspace, and the workspace is not trusted, so Eventscope does not run it/);
      assert.equal(vscode.debug.activeDebugSession, undefined);
      const { first } = await start({ type: 'eventscope', request: 'launch', name: 'generic', store: demoPath, stopOnEntry: true });
      assert.equal(first.step.index, 0);
    });

    it('"Debug Replay…" on a connection starts a session, and the replay panel of the same replay follows its steps', async () => {
      const connection = ctx.connections.get('Demo bank');
      assert.ok(connection, 'the demo connection exists');
      const node: Node = { kind: 'connection', connection };
      await vscode.commands.executeCommand('eventscope.replay', node, { projection: { kind: 'file', path: projection } });
      const panel = ctx.replays.lastOpened!;
      await panel.testApi.settled();
      assert.equal(panel.phase, 'open');
      // A panel on another projection stays where it is.
      await vscode.commands.executeCommand('eventscope.replay', node, { projection: { kind: 'generic' } });
      const other = ctx.replays.lastOpened!;
      await other.testApi.settled();
      await other.testApi.send({ type: 'select', index: 5 });

      let session: vscode.DebugSession | undefined;
      const listener = vscode.debug.onDidStartDebugSession((s) => (session = s));
      try {
        const started = await vscode.commands.executeCommand<boolean>('eventscope.debugReplay', node, {
          projection: { kind: 'file', path: projection },
        });
        assert.equal(started, true);
        await waitFor('the session', () => session);
      } finally {
        listener.dispose();
      }
      const debug = session!;
      assert.equal(debug.name, 'Debug Replay: bank-balances.js · all events of Demo bank');
      assert.equal(debug.configuration.store, ctx.connections.resolvePath(connection));
      const entry = await nthStop(debug, 0);
      assert.equal(entry.reason, 'entry');
      await stopAfter(debug, () => debug.customRequest('next', THREAD));
      const second = await stopAfter(debug, () => debug.customRequest('next', THREAD));
      assert.equal(second.step.index, 2);
      const shown = await waitFor('the panel to follow', () => {
        const step = panel.testApi.last('step')?.step;
        return step?.index === 2 ? step : undefined;
      });
      assert.equal(shown.event.streamId, second.step.event.streamId);
      assert.equal(panel.testApi.last('cursor')?.cursor.index, 2);
      assert.equal(other.testApi.last('step')?.step.index, 5, 'the generic replay did not move');
    });
  });
});
