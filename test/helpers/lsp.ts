/**
 * A language client for tests: runs the built server (dist/server.js --stdio) as a child process
 * and speaks LSP to it over its stdin/stdout with the protocol's own JSON-RPC connection. Build
 * first: `npm run -s build`.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import type { CatalogResult, StoreRef } from '../../src/server/protocol';

export const SERVER = resolve(__dirname, '..', '..', 'dist', 'server.js');

export interface ServerStart {
  /** The server's program (default: dist/server.js). */
  server?: string;
  /** Stores given as initialization options. */
  stores?: StoreRef[];
  /** Extra arguments (`--store …`). */
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Workspace folders (paths). */
  roots?: string[];
}

export class TestClient {
  readonly connection: ProtocolConnection;
  readonly process: ChildProcess;
  /** The diagnostics last published, by document URI. */
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private waiters: { uri: string; version?: number; resolve: (d: Diagnostic[]) => void }[] = [];
  readonly logs: string[] = [];
  stderr = '';
  private versions = new Map<string, number>();
  initialized!: InitializeResult;

  private constructor(options: ServerStart) {
    this.process = spawn(process.execPath, [options.server ?? SERVER, '--stdio', ...(options.args ?? [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, EVENTSCOPE_CIPHER_KEY: undefined, CIPHER_KEY: undefined, ...options.env },
    });
    this.process.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.connection = createProtocolConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.diagnostics.set(params.uri, params);
      this.waiters = this.waiters.filter((w) => {
        if (w.uri !== params.uri || (w.version !== undefined && params.version !== w.version)) return true;
        w.resolve(params.diagnostics);
        return false;
      });
    });
    this.connection.onNotification('window/logMessage', (params: { message: string }) => {
      this.logs.push(params.message);
    });
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.listen();
  }

  static async start(options: ServerStart = {}): Promise<TestClient> {
    const client = new TestClient(options);
    client.initialized = await client.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { window: { workDoneProgress: true }, textDocument: { hover: { contentFormat: ['markdown'] } } },
      workspaceFolders: (options.roots ?? []).map((r) => ({ uri: pathToFileURL(r).href, name: r })),
      initializationOptions: options.stores ? { stores: options.stores } : undefined,
    });
    await client.connection.sendNotification('initialized', {});
    return client;
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  /** The catalogs once read. */
  catalogs(name?: string): Promise<CatalogResult> {
    return this.request('eventscope/catalog', { ...(name ? { name } : {}), wait: true });
  }

  /** Opens a document; resolves with its first diagnostics. */
  open(uri: string, languageId: string, text: string): Promise<Diagnostic[]> {
    this.versions.set(uri, 1);
    const published = this.nextDiagnostics(uri, 1);
    void this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return published;
  }

  /** Replaces a document's text; resolves with the diagnostics of the new version. */
  change(uri: string, text: string): Promise<Diagnostic[]> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const published = this.nextDiagnostics(uri, version);
    void this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    return published;
  }

  /** The next diagnostics published for the document (of this version, when given). */
  nextDiagnostics(uri: string, version?: number): Promise<Diagnostic[]> {
    return new Promise((resolve) => this.waiters.push({ uri, version, resolve }));
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.request('shutdown', null), new Promise((r) => setTimeout(r, 2000))]);
      void this.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    this.connection.dispose();
    this.process.kill();
  }
}

/** The position of the n-th (0-based) occurrence of `needle` in `text`, plus `delta` characters. */
export function positionOf(text: string, needle: string, delta = 0, nth = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`"${needle}" not found`);
  }
  const offset = at + delta;
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}
