/** What a replay panel runs: the panel's target resolved into the engine's source and projection. */

import { basename, isAbsolute, relative } from 'node:path';
import * as vscode from 'vscode';
import { EventscopeError } from '../../core/errors';
import { describeScope, type ReplaySourceSpec } from '../../core/projection/source';
import type { ProjectionChoice, ReplayTarget, SourceDescriptor } from '../../shared/replayProtocol';
import type { Connections } from '../connections';

export const GENERIC_LABEL = 'Generic (built-in)';

/** File types a projection can be written in. */
export const PROJECTION_EXTENSIONS = ['js', 'ts', 'mjs', 'cjs', 'mts', 'cts'];

/** "all events of Demo bank", "stream 8b79… of Demo bank", "fixture.events". */
export function sourceLabel(source: SourceDescriptor): string {
  return source.kind === 'eventsFile' ? basename(source.path) : `${describeScope(source.scope)} of ${source.connection}`;
}

export function projectionLabel(projection: ProjectionChoice): string {
  if (projection.kind === 'python') return projection.path ? `${basename(projection.path)} (Python)` : 'Python aggregates';
  return projection.kind === 'generic' ? GENERIC_LABEL : basename(projection.path);
}

/** The panel's title: "Replay: bank-balances.js · all events of Demo bank". */
export function panelTitle(target: ReplayTarget): string {
  return `Replay: ${projectionLabel(target.projection)} · ${sourceLabel(target.source)}`;
}

/** The engine's source for a target: a connection's file or URL, and its cipher key and password (from secret storage). */
export async function resolveSource(source: SourceDescriptor, connections: Connections): Promise<ReplaySourceSpec> {
  if (source.kind === 'eventsFile') return { kind: 'eventsFile', path: source.path };
  const connection = connections.get(source.connection);
  if (!connection) throw new EventscopeError(`There is no connection named "${source.connection}" any more.`);
  const { cipherKey, password } = await connections.secrets(connection);
  const transcodings = connections.transcodings();
  return {
    kind: 'store',
    location: connections.resolvePath(connection),
    ...(cipherKey ? { cipherKey: new Uint8Array(cipherKey) } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(transcodings ? { transcodings } : {}),
    scope: source.scope,
  };
}

/** Whether two paths name the same file (as VS Code compares file URIs). */
export function sameFile(a: string, b: string): boolean {
  return vscode.Uri.file(a).toString() === vscode.Uri.file(b).toString();
}

/** Whether two projection choices name the same file (or are both generic). */
export function sameProjection(a: ProjectionChoice, b: ProjectionChoice): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'generic' || b.kind === 'generic') return true;
  const samePath = a.path === undefined || b.path === undefined ? a.path === b.path : sameFile(a.path, b.path);
  return samePath && (a.kind !== 'python' || (b.kind === 'python' && a.app === b.app));
}

/**
 * Whether Workspace Trust lets a projection run: always for Eventscope's own code (the generic
 * projection, the demo's projection shipped with the extension), else only in a trusted workspace.
 */
export function projectionAllowed(projection: ProjectionChoice, trusted: boolean, extensionUri: vscode.Uri): boolean {
  if (projection.kind === 'generic' || trusted) return true;
  // Python replays run the workspace's own code (its aggregates, its interpreter).
  if (projection.kind === 'python') return false;
  const own = relative(extensionUri.fsPath, projection.path);
  return !own.startsWith('..') && !isAbsolute(own);
}
