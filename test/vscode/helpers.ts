/** What the extension-host tests share. */

import * as assert from 'node:assert/strict';
import type { Ctx } from '../../src/extension/ctx';
import type { Node } from '../../src/extension/streamsTree';

/** The text a node of the Streams view shows (its tree item's label). */
export function treeLabel(ctx: Ctx, node: Node): string {
  const l = ctx.tree.getTreeItem(node).label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

/** Replays every event of a connection with the generic projection in a panel: its steps, once the panel is open (then closed). */
export async function replayAllSteps(ctx: Ctx, connection: string): Promise<number> {
  const panel = ctx.replays.open({
    source: { kind: 'connection', connection, scope: { all: true } },
    projection: { kind: 'generic' },
  });
  try {
    await panel.testApi.settled();
    assert.equal(panel.phase, 'open', JSON.stringify(panel.testApi.history().slice(-2)));
    return panel.testApi.last('summary')!.summary.steps;
  } finally {
    panel.dispose();
  }
}

/** Polls `probe` until it gives a value (not undefined or false), or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What `work` answers, and the sentences the extension showed as error notifications meanwhile (`Log.showError`). */
export async function errorsShownBy<T>(ctx: Ctx, work: () => Thenable<T>): Promise<[T, string[]]> {
  const shown: string[] = [];
  const showError = ctx.log.showError.bind(ctx.log);
  ctx.log.showError = (error, doing) => {
    const message = showError(error, doing);
    shown.push(message);
    return message;
  };
  try {
    return [await work(), shown];
  } finally {
    ctx.log.showError = showError;
  }
}
