/**
 * The `eventscope` debug type in VS Code: a replay as a debug session. The adapter
 * (src/debug/adapter.ts) runs inline, in the extension host; the projection still runs in its
 * worker. A launch configuration names its store by path or by a connection's name: the
 * connection's file is looked up, and its cipher key goes from secret storage straight to the
 * inline adapter: never into launch.json, nor into the session's configuration (other
 * extensions can read that). Workspace code runs only in a trusted
 * workspace, as in the replay panel. "Debug Replay…" starts a session from the Streams view, an
 * `.events` file or the palette; an open replay panel on the same events and projection follows
 * the step the debugger shows.
 */

import { existsSync } from 'node:fs';
import { basename, extname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { EventscopeError } from '../core/errors';
import {
  EventscopeDebugSession,
  projectionChoiceOf,
  scopeOf,
  STEP_EVENT,
  type LaunchArguments,
  type StepEventBody,
} from '../debug/adapter';
import { resolvePythonChoice } from './python';
import type { ProjectionChoice, ReplayScope, ReplayTarget, SourceDescriptor } from '../shared/replayProtocol';
import { isServer, secretKeyName, secretPasswordName } from './connections';
import type { Ctx } from './ctx';
import { debugPythonReplay } from './pythonDebug';
import { isOptions, sourceOf } from './replay/commands';
import { pickProjection, pickSource } from './replay/pick';
import { panelTitle, projectionAllowed, projectionLabel, sameFile, sameProjection } from './replay/target';

export const DEBUG_TYPE = 'eventscope';

/** A launch configuration of the `eventscope` type (package.json's `configurationAttributes`). */
export type LaunchConfiguration = vscode.DebugConfiguration & LaunchArguments;

/** The launch configuration of a replay target (what "Debug Replay…" starts). */
export function launchConfiguration(source: SourceDescriptor, projection: ProjectionChoice): LaunchConfiguration {
  return {
    type: DEBUG_TYPE,
    request: 'launch',
    name: `Debug ${panelTitle({ source, projection })}`,
    ...(source.kind === 'eventsFile' ? { eventsFile: source.path } : { store: source.connection, ...scopeArguments(source.scope) }),
    ...(projection.kind === 'file' ? { projection: projection.path } : {}),
    stopOnEntry: true,
  };
}

function scopeArguments(scope: ReplayScope): Pick<LaunchArguments, 'stream' | 'category' | 'all'> {
  return 'stream' in scope ? { stream: scope.stream } : 'category' in scope ? { category: scope.category } : { all: true };
}

function sameScope(a: ReplayScope, b: ReplayScope): boolean {
  if ('stream' in a) return 'stream' in b && a.stream === b.stream;
  if ('category' in a) return 'category' in b && a.category === b.category;
  return 'all' in b;
}

/** Whether `store` names a file rather than a connection: a path, a file name with an extension, or a file that exists. */
function looksLikeFile(store: string, cwd: string | undefined): boolean {
  return isAbsolute(store) || /[\\/]/.test(store) || extname(store) !== '' || existsSync(resolve(cwd ?? '.', store));
}

/** The provider of `eventscope` configurations, the inline adapter, and the panels that follow a session. */
export class ReplayDebugging implements vscode.DebugConfigurationProvider, vscode.DebugAdapterDescriptorFactory, vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    const dynamic: vscode.DebugConfigurationProvider = { provideDebugConfigurations: () => this.connectionConfigurations() };
    this.subscriptions = [
      vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, this),
      vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, dynamic, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
      vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, this),
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type === DEBUG_TYPE && e.event === STEP_EVENT)
          this.follow(e.session.configuration as LaunchConfiguration, e.body as StepEventBody);
      }),
    ];
  }

  /** The inline adapter; a connection's cipher key goes to it straight from secret storage, not through the configuration. */
  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const connection = (session.configuration as LaunchConfiguration).connection;
    const cipherKey = connection ? await this.ctx.context.secrets.get(secretKeyName(connection)) : undefined;
    const password = connection ? await this.ctx.context.secrets.get(secretPasswordName(connection)) : undefined;
    const transcodings = this.ctx.connections.transcodings();
    return new vscode.DebugAdapterInlineImplementation(
      new EventscopeDebugSession({
        ...(cipherKey ? { cipherKey } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(transcodings ? { transcodings } : {}),
      }),
    );
  }

  /** A starting configuration for a new launch.json: a connection (the workspace's first) or a file, the generic projection. */
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    const connections = this.ctx.connections.list();
    const connection = connections.find((c) => c.scope === 'workspace') ?? connections[0];
    return [
      {
        type: DEBUG_TYPE,
        request: 'launch',
        name: 'Eventscope: Debug a replay',
        store: connection?.name ?? '${workspaceFolder}/events.sqlite',
        stopOnEntry: true,
      } satisfies LaunchConfiguration,
    ];
  }

  /** Offered in the Run and Debug view without a launch.json: each connection's whole log, generic projection. */
  private connectionConfigurations(): vscode.DebugConfiguration[] {
    return this.ctx.connections
      .list()
      .map((connection) =>
        launchConfiguration({ kind: 'connection', connection: connection.name, scope: { all: true } }, { kind: 'generic' }),
      );
  }

  /** F5 without a launch.json: asks what to replay, as "Debug Replay…" does. */
  async resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (config.type || config.request || config.name) return config;
    const active = vscode.window.activeTextEditor?.document.uri;
    const source = (active && sourceOf(active)) ?? (await pickSource(this.ctx.connections));
    if (!source) return undefined;
    const projection = await pickProjection(this.ctx.replays.isTrusted());
    return projection && launchConfiguration(source, projection);
  }

  /** After `${…}` substitution: connection names to files (and keys), `cwd`, the settings' limits, trust. */
  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    try {
      return await this.resolve(folder, config as LaunchConfiguration);
    } catch (error) {
      this.ctx.log.showError(error, `Starting the debug session "${String(config.name)}"`);
      return undefined;
    }
  }

  private async resolve(folder: vscode.WorkspaceFolder | undefined, config: LaunchConfiguration): Promise<LaunchConfiguration> {
    const base = (folder ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath;
    const cwd = config.cwd !== undefined ? resolve(base ?? '.', config.cwd) : base;
    const resolved: LaunchConfiguration = { ...config, ...(cwd !== undefined ? { cwd } : {}) };
    const at = (path: string) => resolve(cwd ?? '.', path);
    if (resolved.eventsFile) resolved.eventsFile = at(resolved.eventsFile);
    else if (resolved.store) {
      const connection = this.ctx.connections.get(resolved.store);
      if (connection) {
        resolved.store = this.ctx.connections.resolvePath(connection);
        // Its key reaches the adapter from secret storage (createDebugAdapterDescriptor), never a configuration.
        resolved.connection = connection.name;
      } else if (looksLikeFile(resolved.store, cwd)) resolved.store = at(resolved.store);
      else throw new EventscopeError(`There is no connection named "${resolved.store}", nor a file of that name.`);
    } else {
      throw new EventscopeError(
        `The launch configuration "${String(config.name)}" needs "store" (a connection's name or an eventsourcing SQLite file) or "eventsFile".`,
      );
    }
    if (resolved.projection) resolved.projection = at(resolved.projection);
    if (resolved.python) {
      // The user's Python settings where the configuration says nothing (paths only: a .env's values reach the runner alone).
      const { choice: python, envFile } = await resolvePythonChoice({ kind: 'python' }, this.ctx.log, { readEnv: false });
      resolved.pythonPath = [...(resolved.pythonPath ?? []).map(at), ...(python.pythonPath ?? [])];
      resolved.interpreter ??= python.interpreter;
      resolved.app ??= python.app;
      resolved.mutator ??= python.mutator;
      resolved.dotenv ??= envFile;
    }
    const projection = projectionChoiceOf(resolved);
    if (!projectionAllowed(projection, this.ctx.replays.isTrusted(), this.ctx.context.extensionUri)) {
      throw new EventscopeError(
        projection.kind === 'python'
          ? 'A Python replay runs this workspace’s own code, and the workspace is not trusted, so Eventscope does not run it: trust the workspace.'
          : `${basename(resolved.projection!)} is code from this workspace, and the workspace is not trusted, so Eventscope does not run it: trust the workspace, or leave "projection" out to debug with the built-in generic projection.`,
      );
    }
    const { timeBudgetMs, memoryLimitMb, labelRules } = this.ctx.replays.settings();
    resolved.timeBudgetMs ??= timeBudgetMs;
    resolved.memoryLimitMb ??= memoryLimitMb;
    resolved.labelRules ??= labelRules;
    return resolved;
  }

  /** The replay panels on the same events and projection as a session move to the step it stopped at. */
  private follow(config: LaunchConfiguration, step: StepEventBody): void {
    for (const panel of this.ctx.replays.panels) {
      if (!this.sameReplay(panel.target, config)) continue;
      panel
        .follow(step.event, step.index)
        .catch((error: unknown) => this.ctx.log.failed('Following the debug session in the replay panel', error));
    }
  }

  /** Whether a panel's target replays what a (resolved) launch configuration does. */
  private sameReplay(target: ReplayTarget, config: LaunchConfiguration): boolean {
    const at = (path: string) => resolve(config.cwd ?? '.', path);
    if (!sameProjection(target.projection, projectionChoiceOf(config))) return false;
    const { source } = target;
    if (config.eventsFile) return source.kind === 'eventsFile' && sameFile(source.path, at(config.eventsFile));
    if (source.kind !== 'connection' || !config.store) return false;
    const connection = this.ctx.connections.get(source.connection);
    return (
      !!connection &&
      (isServer(connection)
        ? this.ctx.connections.resolvePath(connection) === config.store
        : sameFile(this.ctx.connections.resolvePath(connection), at(config.store))) &&
      sameScope(source.scope, scopeOf(config))
    );
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}

export const debugCommands = {
  /**
   * Debug Replay…: `(node | .events Uri | undefined, options?)`, like Replay…: asks what is not
   * given, then starts an `eventscope` debug session. Answers whether the session started.
   */
  'eventscope.debugReplay': async (ctx: Ctx, arg?: unknown, options?: unknown): Promise<boolean> => {
    const given = isOptions(options) ? options : isOptions(arg) ? arg : {};
    const source = given.source ?? sourceOf(arg) ?? (await pickSource(ctx.connections));
    if (!source) return false;
    const projection = given.projection ?? (await pickProjection(ctx.replays.isTrusted()));
    if (!projection) return false;
    // Python code is debugged by VS Code's Python debugger, beside a replay panel.
    if (projection.kind === 'python') return debugPythonReplay(ctx, source, projection);
    const folder = vscode.workspace.workspaceFolders?.[0];
    ctx.log.info(`Debugging a replay of ${projectionLabel(projection)}`);
    return vscode.debug.startDebugging(folder, launchConfiguration(source, projection));
  },

  /** Debug Python Replay…: `(node | .py Uri | undefined, options?)`; your aggregates unless a .py projection is named. */
  'eventscope.debugPythonReplay': async (ctx: Ctx, arg?: unknown, options?: unknown): Promise<boolean> => {
    const given = isOptions(options) ? options : isOptions(arg) ? arg : {};
    const file = arg instanceof vscode.Uri && arg.fsPath.endsWith('.py') ? arg.fsPath : undefined;
    const source = given.source ?? sourceOf(arg) ?? (await pickSource(ctx.connections));
    if (!source) return false;
    const projection =
      given.projection?.kind === 'python' ? given.projection : { kind: 'python' as const, ...(file ? { path: file } : {}) };
    return debugPythonReplay(ctx, source, projection);
  },
};
