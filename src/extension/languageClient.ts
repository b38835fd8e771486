/**
 * Starts the language server (dist/server.js, a process of its own over IPC) for `.events` files,
 * JavaScript/TypeScript files (projections) and event documents, tells it the connections' stores
 * (their keys and passwords from SecretStorage, sent to the server process only) whenever they
 * change, and runs the projection CodeLenses' command.
 */

import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import {
  CatalogState,
  PROJECTION_LENS_COMMAND,
  SetStores,
  type CatalogStateParams,
  type ProjectionLensArgs,
  type StoreRef,
} from '../server/protocol';
import type { Connections } from './connections';
import { isReplayTarget, type SourceDescriptor } from '../shared/replayProtocol';
import type { Log } from './log';
import type { ReplayPanelRegistry } from './replay/panelRegistry';
import { pickSource } from './replay/pick';

/**
 * The language server's client: started when the first document it serves opens (not at
 * activation: the server reads every connection's catalog), stopped with the extension.
 */
export class EventscopeLanguage implements vscode.Disposable {
  readonly client: LanguageClient;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The catalogs' last state the server sent (tests wait on it). */
  state: CatalogStateParams = { stores: [] };
  private starting?: Promise<void>;

  constructor(
    private readonly ctx: { context: vscode.ExtensionContext; log: Log; connections: Connections; replays: ReplayPanelRegistry },
  ) {
    const module = vscode.Uri.joinPath(ctx.context.extensionUri, 'dist', 'server.js').fsPath;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6029'] } },
    };
    const documentSelector = [
      { language: 'events' },
      { scheme: 'file', language: 'javascript' },
      { scheme: 'file', language: 'typescript' },
      { scheme: 'untitled', language: 'javascript' },
      { scheme: 'untitled', language: 'typescript' },
      // Event documents: their topics lead to the Python classes.
      { scheme: 'eventscope' },
    ];
    const clientOptions: LanguageClientOptions = {
      documentSelector,
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.py') },
      outputChannelName: 'Eventscope Language Server',
    };
    this.client = new LanguageClient('eventscope', 'Eventscope Language Server', serverOptions, clientOptions);
    const serves = (doc: vscode.TextDocument) => vscode.languages.match(documentSelector, doc) > 0;
    this.subscriptions.push(
      ctx.connections.onDidChange(() => void this.sendStores()),
      vscode.commands.registerCommand(PROJECTION_LENS_COMMAND, (args: ProjectionLensArgs, options?: unknown) => this.lens(args, options)),
      vscode.workspace.onDidOpenTextDocument((doc) => {
        if (serves(doc)) void this.start();
      }),
    );
    if (vscode.workspace.textDocuments.some(serves)) void this.start();
  }

  /** Starts the server (once; later calls wait for the first). */
  start(): Promise<void> {
    this.starting ??= this.run();
    return this.starting;
  }

  private async run(): Promise<void> {
    try {
      await this.client.start();
      this.subscriptions.push(
        this.client.onNotification(CatalogState.method, (params: CatalogStateParams) => {
          for (const s of params.stores) {
            const before = this.state.stores.find((b) => b.name === s.name);
            if (s.phase === 'failed' && before?.phase !== 'failed')
              this.ctx.log.info(`Event catalog of ${s.name}: ${s.message ?? 'failed'}`);
          }
          this.state = params;
        }),
      );
      await this.sendStores();
    } catch (error) {
      this.ctx.log.error('The Eventscope language server did not start', error);
    }
  }

  /** The stores of every connection, with what opens them (the key as the library's base64 text). */
  private async stores(): Promise<StoreRef[]> {
    const connections = this.ctx.connections;
    const transcodings = connections.transcodings();
    return Promise.all(
      connections.list().map(async (connection): Promise<StoreRef> => {
        const { cipherKey, password } = await connections.secrets(connection);
        return {
          name: connection.name,
          location: connections.resolvePath(connection),
          ...(cipherKey ? { cipherKey: cipherKey.toString('base64') } : {}),
          ...(password !== undefined ? { password } : {}),
          ...(transcodings ? { transcodings } : {}),
        };
      }),
    );
  }

  private async sendStores(): Promise<void> {
    if (!this.client.isRunning()) return;
    await this.client.sendNotification(SetStores.method, { stores: await this.stores() });
  }

  /**
   * A projection CodeLens: Replay, Debug or Find first broken invariant, on events asked for (or
   * given as `options.source`, as the other replay commands take them: tests, links).
   */
  private async lens({ action, path }: ProjectionLensArgs, options?: unknown): Promise<void> {
    const projection = { kind: 'file' as const, path };
    const source = (options as { source?: unknown } | undefined)?.source;
    const given = isReplayTarget({ source, projection }) ? (source as SourceDescriptor) : undefined;
    try {
      if (action === 'replay') {
        await vscode.commands.executeCommand('eventscope.replayWithProjection', vscode.Uri.file(path), {
          projection,
          ...(given ? { source: given } : {}),
        });
      } else if (action === 'debug') {
        await vscode.commands.executeCommand('eventscope.debugReplay', undefined, { projection, ...(given ? { source: given } : {}) });
      } else {
        const events = given ?? (await pickSource(this.ctx.connections));
        if (!events) return;
        await this.ctx.replays.open({ source: events, projection }).findFirstFailure();
      }
    } catch (error) {
      this.ctx.log.showError(error, 'The projection’s CodeLens');
    }
  }

  async dispose(): Promise<void> {
    for (const d of this.subscriptions) d.dispose();
    if (this.client.isRunning()) await this.client.stop();
  }
}
