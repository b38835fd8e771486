/**
 * The agent tools as VS Code language-model tools, invoked as agent mode invokes them
 * (`vscode.lm.invokeTool`) on the demo connection: a summary, the demo's broken balance with a
 * link that opens the replay panel at that step, a sentence for a wrong call, no projection code
 * in an untrusted workspace, and the MCP server VS Code is given.
 */

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../../src/extension/ctx';
import { lmToolName } from '../../src/core/tools/tools';
import { mcpDefinition } from '../../src/extension/lmTools';
import { mcpInput, mcpResults } from '../helpers/mcpLines';

const EXTENSION_ID = 'eventscope.eventscope';
const DEMO = 'Demo bank';
const NAMES = ['store_info', 'list_streams', 'read_stream', 'read_log', 'show_event', 'search_events', 'replay', 'find_first_failure'];

let ctx: Ctx;

async function invoke(tool: string, input: Record<string, unknown>): Promise<string> {
  const result = await vscode.lm.invokeTool(lmToolName(tool), { input, toolInvocationToken: undefined });
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
}

/** The JSON answer after the text (the last paragraph). */
function structured(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.lastIndexOf('\n\n') + 2)) as Record<string, unknown>;
}

describe('the agent tools in VS Code (language-model tools)', function () {
  this.timeout(90_000);

  before(async () => {
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    await vscode.commands.executeCommand('eventscope.openDemo');
  });

  it('registers the eight tools with their schemas', () => {
    const ours = vscode.lm.tools.filter((t) => t.name.startsWith('eventscope_'));
    assert.deepEqual(ours.map((t) => t.name).sort(), NAMES.map(lmToolName).sort());
    for (const tool of ours) assert.equal((tool.inputSchema as { type?: string }).type, 'object', tool.name);
  });

  it('answers store_info and read_log on the demo connection by name, its key and all from the connection', async () => {
    const info = structured(await invoke('store_info', { store: DEMO }));
    assert.equal(info.store, DEMO);
    assert.equal(info.events, 330);
    const log = structured(await invoke('read_log', { store: DEMO, fromPosition: 226, limit: 1 }));
    const [event] = log.events as { position: number; type: string }[];
    assert.equal(event.position, 226);
    assert.match(event.type, /Debited$/);
  });

  it('find_first_failure finds the broken balance, and its link opens the replay panel at step 226', async () => {
    ctx.replays.trustOverride = true;
    ctx.replays.historyLimit = 300;
    try {
      const projection = join(ctx.context.extensionPath, 'examples', 'bank-balances.js');
      const text = await invoke('find_first_failure', { store: DEMO, projection });
      const answer = structured(text);
      assert.equal(answer.step, 226);
      assert.equal(answer.error, "Dana Whitfield's balance is -787.93");
      const link = /\[Open in the replay panel at step 226\]\(command:eventscope\.replay\?([^)]+)\)/.exec(text);
      assert.ok(link, text.slice(0, 2000));
      const args = JSON.parse(decodeURIComponent(link[1])) as unknown[];
      await vscode.commands.executeCommand('eventscope.replay', ...args);
      const panel = ctx.replays.lastOpened!;
      await panel.testApi.settled();
      assert.equal(panel.target.projection.kind === 'file' && panel.target.projection.path, projection);
      assert.equal(panel.testApi.last('cursor')?.cursor.index, 225);
      panel.dispose();
    } finally {
      ctx.replays.trustOverride = undefined;
      ctx.replays.historyLimit = 0;
    }
  });

  it('a call cancelled in the chat ends its replay at once', async () => {
    ctx.replays.trustOverride = true;
    const slow = join(ctx.context.globalStorageUri.fsPath, 'slow.projection.js');
    mkdirSync(dirname(slow), { recursive: true });
    // 20 ms an event: the demo's 330 events take 6.6 s.
    writeFileSync(
      slow,
      'export default { init: () => ({ n: 0 }), when: {}, any: (s) => { const end = Date.now() + 20; while (Date.now() < end); s.n++; } };\n',
    );
    const source = new vscode.CancellationTokenSource();
    try {
      const started = Date.now();
      const called = vscode.lm.invokeTool(
        lmToolName('replay'),
        { input: { store: DEMO, projection: slow }, toolInvocationToken: undefined },
        source.token,
      );
      setTimeout(() => source.cancel(), 700);
      await assert.rejects(Promise.resolve(called), /cancel/i);
      assert.ok(Date.now() - started < 4000, `ended ${Date.now() - started} ms after the call`);
    } finally {
      source.dispose();
      ctx.replays.trustOverride = undefined;
    }
  });

  it('a wrong call is one sentence; an untrusted workspace runs no projection file, the generic replay still runs', async () => {
    await assert.rejects(
      invoke('store_info', { store: 'No such connection' }),
      /There is no Eventscope connection "No such connection"; the connections are .*"Demo bank"/,
    );
    await assert.rejects(invoke('search_events', { store: DEMO, where: 'event.data.amount >' }), /not a JavaScript expression/);
    ctx.replays.trustOverride = false;
    try {
      const projection = join(ctx.context.extensionPath, 'examples', 'bank-balances.js');
      await assert.rejects(invoke('replay', { store: DEMO, projection }), /not trusted.*generic projection/);
      const generic = structured(await invoke('replay', { store: DEMO, category: 'Dog' }));
      assert.ok((generic.steps as number) > 0);
    } finally {
      ctx.replays.trustOverride = undefined;
    }
  });

  it('gives VS Code an MCP server on the connections, run by its own Node, that answers', () => {
    const definition = mcpDefinition(ctx);
    assert.equal(definition.command, process.execPath);
    assert.equal(definition.env.ELECTRON_RUN_AS_NODE, '1');
    assert.ok(definition.args[0].endsWith(join('dist', 'mcp.js')));
    const demo = ctx.connections.get(DEMO)!;
    assert.ok(definition.args.includes(ctx.connections.resolvePath(demo)));
    assert.ok(!JSON.stringify(definition).includes('CIPHER_KEY'), 'no secret in a listed definition');
    // Run as VS Code runs it: an MCP session over its stdin and stdout.
    const run = spawnSync(definition.command, definition.args, {
      env: { ...process.env, ...definition.env } as NodeJS.ProcessEnv,
      input: mcpInput([['tools/call', { name: 'store_info', arguments: {} }]]),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const [reply] = mcpResults(run.stdout, 1) as [{ structuredContent?: { events?: number } } | undefined];
    assert.ok(reply?.structuredContent, run.stdout);
    assert.equal(typeof reply.structuredContent.events, 'number');
  });
});
