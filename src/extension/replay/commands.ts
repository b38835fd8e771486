/**
 * The replay commands: "Replay…" (a stream, category or connection of the Streams view, an
 * `.events` file, or asked for) and "Replay with this projection…" (a projection file, asking
 * which events). Both take an optional last argument that answers the questions (tests, links).
 * They answer nothing (a panel does not serialize; menus send the answer over RPC): the panel
 * they opened is `ctx.replays.lastOpened`.
 */

import { extname, join } from 'node:path';
import * as vscode from 'vscode';
import { isEventsFilePath } from '../../core/stores/eventsFileStore';
import { isReplayTarget, type ProjectionChoice, type SourceDescriptor } from '../../shared/replayProtocol';
import { DEMO_NAME } from '../connections';
import type { Ctx } from '../ctx';
import type { Node } from '../streamsTree';
import { pickProjection, pickSource } from './pick';
import { PROJECTION_EXTENSIONS } from './target';

export interface ReplayOptions {
  source?: SourceDescriptor;
  projection?: ProjectionChoice;
  /** The step (1-based) to show once the replay is open (links from the agent tools' answers). */
  step?: number;
}

export function isOptions(value: unknown): value is ReplayOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof vscode.Uri) return false;
  const { source, projection, step } = value as ReplayOptions;
  if (source === undefined && projection === undefined) return false;
  if (step !== undefined && !(Number.isInteger(step) && step >= 1)) return false;
  // Checked as a whole target, with a stand-in for the missing half.
  return isReplayTarget({ source: source ?? { kind: 'eventsFile', path: '' }, projection: projection ?? { kind: 'generic' } });
}

/** The events a tree node (or a `.events` or JSON lines file) stands for. */
export function sourceOf(arg: unknown): SourceDescriptor | undefined {
  if (arg instanceof vscode.Uri)
    return arg.scheme === 'file' && isEventsFilePath(arg.fsPath) ? { kind: 'eventsFile', path: arg.fsPath } : undefined;
  const node = arg as Node | undefined;
  switch (node?.kind) {
    case 'connection':
      return { kind: 'connection', connection: node.connection.name, scope: { all: true } };
    case 'category':
      return { kind: 'connection', connection: node.connection.name, scope: { category: node.category.name } };
    case 'stream':
      return {
        kind: 'connection',
        connection: node.connection.name,
        scope: { stream: node.stream.streamId, ...(node.stream.label ? { label: node.stream.label } : {}) },
      };
    default:
      return undefined;
  }
}

function isProjectionFile(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && [...PROJECTION_EXTENSIONS, 'py'].includes(extname(uri.fsPath).slice(1));
}

/** The demo store's projection, shipped with the extension (examples/bank-balances.js). */
export function demoProjectionPath(ctx: Ctx): string {
  return vscode.Uri.joinPath(ctx.context.extensionUri, 'examples', 'bank-balances.js').fsPath;
}

export const replayCommands = {
  /** Replay the Demo: the demo store with its account-balances projection (the walkthrough's last step). */
  'eventscope.replayDemo': async (ctx: Ctx): Promise<void> => {
    await vscode.commands.executeCommand('eventscope.openDemo');
    ctx.replays.open({
      source: { kind: 'connection', connection: DEMO_NAME, scope: { all: true } },
      projection: { kind: 'file', path: demoProjectionPath(ctx) },
    });
  },

  /** Replay the Demo with Python: the same story through the demo bank's own Python code (examples/bankapp). */
  'eventscope.replayDemoPython': async (ctx: Ctx): Promise<void> => {
    await vscode.commands.executeCommand('eventscope.openDemo');
    const bankapp = vscode.Uri.joinPath(ctx.context.extensionUri, 'examples', 'bankapp').fsPath;
    ctx.replays.open({
      source: { kind: 'connection', connection: DEMO_NAME, scope: { all: true } },
      projection: { kind: 'python', path: join(bankapp, 'balances.py'), pythonPath: [bankapp] },
    });
  },

  /** Replay…: `(node | .events Uri | undefined, options?)`; `options.step` selects that step once open. */
  'eventscope.replay': async (ctx: Ctx, arg?: unknown, options?: unknown): Promise<void> => {
    const given = isOptions(options) ? options : isOptions(arg) ? arg : {};
    const source = given.source ?? sourceOf(arg) ?? (await pickSource(ctx.connections));
    if (!source) return;
    const projection = given.projection ?? (await pickProjection(ctx.replays.isTrusted()));
    if (!projection) return;
    const panel = ctx.replays.open({ source, projection });
    if (given.step !== undefined) await panel.showStep(given.step - 1);
  },

  /** Replay with this projection…: `(projection file Uri | undefined, options?)`. */
  'eventscope.replayWithProjection': async (ctx: Ctx, arg?: unknown, options?: unknown): Promise<void> => {
    const given = isOptions(options) ? options : isOptions(arg) ? arg : {};
    let projection = given.projection;
    if (!projection) {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (uri && isProjectionFile(uri)) {
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (open?.isDirty) await open.save();
        projection = extname(uri.fsPath) === '.py' ? { kind: 'python', path: uri.fsPath } : { kind: 'file', path: uri.fsPath };
      } else {
        projection = await pickProjection(ctx.replays.isTrusted());
      }
    }
    if (!projection) return;
    const source = given.source ?? (await pickSource(ctx.connections));
    if (!source) return;
    ctx.replays.open({ source, projection });
  },
};
