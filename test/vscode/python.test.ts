/**
 * Python replays in the replay panel inside a real VS Code (issue 10): the demo store through the
 * demo bank's own Python code (examples/bankapp, shipped with the extension) finds the same broken
 * balance as the JS projection; a stream replays through its aggregate class with exact values;
 * the panel's invariant box takes a Python expression; Restricted Mode refuses Python replays.
 *
 * Needs the eventsourcing library: importable, or its source in EVENTSCOPE_EVENTSOURCING_SRC
 * (.ci/run sets it), which the test puts on the replay's source roots. Skipped without, saying so.
 */

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DEMO_STORY } from '../../src/core/demo';
import { parseExactJson } from '../../src/core/json/exact';
import type { PythonChoice } from '../../src/core/projection/types';
import type { StepView } from '../../src/shared/replayProtocol';
import type { Ctx } from '../../src/extension/ctx';
import type { ReplayPanel } from '../../src/extension/replay/replayPanel';
import { waitFor } from './helpers';

const EXTENSION_ID = 'eventscope.eventscope';
const DEMO = 'Demo bank';

/** Source roots that make `eventsourcing` importable, or undefined when nothing does. */
function libraryRoots(): string[] | undefined {
  const src = process.env.EVENTSCOPE_EVENTSOURCING_SRC;
  const roots = src ? [src] : [];
  try {
    execFileSync('python3', ['-c', `import sys; sys.path[:0] = ${JSON.stringify(roots)}; import eventsourcing.application`], {
      stdio: 'ignore',
    });
    return roots;
  } catch {
    return undefined;
  }
}

describe('Python replays in the panel (in a real VS Code)', function () {
  this.timeout(120_000);
  let ctx: Ctx;
  let bankapp: string;
  const roots = libraryRoots();

  before(async function () {
    if (!roots) {
      console.log('    (skipped: no importable eventsourcing; set EVENTSCOPE_EVENTSOURCING_SRC)');
      this.skip();
    }
    ctx = await vscode.extensions.getExtension<Ctx>(EXTENSION_ID)!.activate();
    ctx.replays.historyLimit = 300;
    await vscode.commands.executeCommand('eventscope.openDemo');
    bankapp = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'examples', 'bankapp');
  });

  beforeEach(() => {
    for (const panel of [...ctx.replays.panels]) panel.dispose();
    ctx.replays.trustOverride = true;
  });
  after(() => {
    if (ctx) ctx.replays.trustOverride = undefined;
  });

  async function open(scope: { all: true } | { stream: string }, choice: Omit<PythonChoice, 'kind'>): Promise<ReplayPanel> {
    const panel = ctx.replays.open({
      source: { kind: 'connection', connection: DEMO, scope },
      projection: { kind: 'python', pythonPath: [bankapp, ...roots!], ...choice },
    });
    await panel.testApi.settled();
    assert.equal(panel.phase, 'open', `the panel is ${panel.phase}: ${JSON.stringify(panel.testApi.history().slice(-3))}`);
    return panel;
  }

  async function stepAt(panel: ReplayPanel, index: number): Promise<StepView> {
    await panel.testApi.send({ type: 'select', index });
    return waitFor(`step ${index}`, () => {
      const step = panel.testApi.last('step')?.step;
      return step?.index === index ? step : undefined;
    });
  }

  it('replays the demo through its Python projection and finds the broken balance at the JS projection’s step', async () => {
    const js = ctx.replays.open({
      source: { kind: 'connection', connection: DEMO, scope: { all: true } },
      projection: { kind: 'file', path: join(bankapp, '..', 'bank-balances.js') },
    });
    await js.testApi.settled();
    const expected = js.testApi.last('summary')!.summary.firstFailure!;
    js.dispose();

    const panel = await open({ all: true }, { path: join(bankapp, 'balances.py') });
    const { summary } = panel.testApi.last('summary')!;
    assert.equal(summary.projection.kind, 'python');
    assert.equal(summary.projection.name, 'Account balances (Python)');
    assert.equal(summary.firstFailure!.index, expected.index);
    assert.match(summary.firstFailure!.message, new RegExp(`^${DEMO_STORY.accountName}'s balance is -\\d+\\.\\d\\d$`));
    // The state at the failure holds the exact Decimal balances of the Python projection.
    const step = await stepAt(panel, expected.index);
    assert.equal(step.invariantFailure, summary.firstFailure!.message);
    const state = parseExactJson(step.stateAfter!) as { balances: Record<string, string> };
    assert.ok(Object.values(state.balances).some((b) => String(b).startsWith('-')));
  });

  it('replays a stream through its aggregate class, and the invariant box takes a Python expression', async () => {
    // Dana's account, and the event that breaks it, as the JS projection finds them.
    const js = ctx.replays.open({
      source: { kind: 'connection', connection: DEMO, scope: { all: true } },
      projection: { kind: 'file', path: join(bankapp, '..', 'bank-balances.js') },
    });
    await js.testApi.settled();
    const [dana] = await js.session!.events(js.testApi.last('summary')!.summary.firstFailure!.index, 1);
    js.dispose();
    const panel = await open({ stream: dana.streamId }, {});
    const { summary } = panel.testApi.last('summary')!;
    assert.equal(summary.projection.name, 'Python aggregates (eventsourcing.application:Application)');
    const last = await stepAt(panel, summary.steps - 1);
    const aggregate = parseExactJson(last.stateAfter!) as { full_name: string; id: string; version: number; balance: unknown };
    assert.equal(aggregate.full_name, DEMO_STORY.accountName);
    assert.equal(aggregate.id, dana.streamId);
    assert.equal(aggregate.version, summary.steps);
    // The panel's Find first failure, with a Python expression over the aggregate.
    await panel.testApi.send({ type: 'findFailure', expression: 'aggregate.balance >= 0', from: 'start' });
    const found = await waitFor('found', () => panel.testApi.last('found'));
    assert.equal(found.mark?.index, dana.revision - 1);
    assert.match(found.mark!.message, /aggregate\.balance >= 0 is false/);
  });

  it('refuses a Python replay in Restricted Mode (it runs the workspace’s own code)', async () => {
    ctx.replays.trustOverride = false;
    const panel = ctx.replays.open({
      source: { kind: 'connection', connection: DEMO, scope: { all: true } },
      projection: { kind: 'python', path: join(bankapp, 'balances.py'), pythonPath: [bankapp] },
    });
    await panel.testApi.settled();
    assert.equal(panel.phase, 'untrusted');
  });

  it('Debug Python Replay without VS Code’s Python Debugger extension says what to install and starts nothing', async () => {
    assert.equal(vscode.extensions.getExtension('ms-python.debugpy'), undefined, 'this VS Code has no Python Debugger extension');
    const before = ctx.replays.panels.size;
    const started = await vscode.commands.executeCommand('eventscope.debugPythonReplay', {
      source: { kind: 'connection', connection: DEMO, scope: { all: true } },
    });
    assert.equal(started, false);
    assert.equal(ctx.replays.panels.size, before);
    assert.equal(vscode.debug.activeDebugSession, undefined);
  });
});
