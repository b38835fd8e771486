/**
 * The agent tools (core/tools/tools.ts) as VS Code language-model tools, for agent mode on the
 * user's connections (by connection name, keys and passwords from SecretStorage), and the MCP
 * server (dist/mcp.js) registered for VS Code's MCP support. A call that runs code (a projection
 * file) asks first (`prepareInvocation`) and runs only in a trusted workspace; answers link back to
 * the replay panel at the step they are about.
 */

import { join } from 'node:path';
import * as vscode from 'vscode';
import { EventscopeError } from '../core/errors';
import {
  failureSentence,
  lmToolName,
  scopeOf,
  TOOLS,
  ToolRunner,
  type StoreRef,
  type ToolDefinition,
  type ToolHost,
} from '../core/tools/tools';
import type { Ctx } from './ctx';

const CIPHER_KEY_ADVICE = 'set it with "Eventscope: Edit Connection…"';

/** The tool host of VS Code: stores are the connections, secrets come from SecretStorage. */
function vscodeHost(ctx: Ctx): ToolHost {
  const { connections } = ctx;
  const refOf = async (name: string): Promise<StoreRef> => {
    const connection = connections.get(name);
    if (!connection) {
      const names = connections.list().map((c) => `"${c.name}"`);
      throw new EventscopeError(
        `There is no Eventscope connection "${name}"; the connections are ${names.join(', ') || 'none (add one in the Eventscope view)'}.`,
      );
    }
    const transcodings = connections.transcodings();
    return {
      label: connection.name,
      location: connections.resolvePath(connection),
      ...(await connections.secrets(connection)),
      ...(transcodings ? { transcodings } : {}),
    };
  };
  return {
    baseDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? ctx.context.extensionUri.fsPath,
    workerDir: join(ctx.context.extensionUri.fsPath, 'dist'),
    async store(name) {
      if (name !== undefined) return refOf(name);
      const all = connections.list();
      if (all.length === 1) return refOf(all[0].name);
      throw new EventscopeError(
        all.length
          ? `Name the connection (the store argument): ${all.map((c) => `"${c.name}"`).join(', ')}.`
          : 'There are no Eventscope connections yet: add one in the Eventscope view (or open the demo).',
      );
    },
    async open(ref) {
      return connections.store(connections.get(ref.label)!);
    },
    codeRefusal: () =>
      ctx.replays.isTrusted()
        ? undefined
        : 'This workspace is not trusted, so Eventscope runs no projection code from it; leave out `projection` to replay with the generic projection.',
    replayLink(target, step) {
      const options = {
        source: { kind: 'connection', connection: target.store.label, scope: target.scope },
        projection: target.projection,
        step,
      };
      const uri = `command:eventscope.replay?${encodeURIComponent(JSON.stringify([options]))}`;
      return `[Open in the replay panel at step ${step}](${uri})`;
    },
  };
}

/** What a call would run, for its confirmation: the projection file and the events. */
function describeRun(input: Record<string, unknown>): string {
  const scope = scopeOf(input);
  const events = 'stream' in scope ? `stream ${scope.stream}` : 'category' in scope ? `category ${scope.category}` : 'all events';
  return `Run the projection file \`${String(input.projection)}\` over ${events} of ${typeof input.store === 'string' ? `"${input.store}"` : 'the connection'}? Its code runs with your rights, in Eventscope's replay worker with time and memory limits.`;
}

/** A tool's answer for the model: the short text, then the structured answer as JSON. */
function resultOf(text: string, structured: Record<string, unknown>): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(`${text}\n\n${JSON.stringify(structured)}`)]);
}

class EventscopeTool implements vscode.LanguageModelTool<Record<string, unknown>> {
  constructor(
    private readonly tool: ToolDefinition,
    private readonly runner: ToolRunner,
    private readonly ctx: Ctx,
  ) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<Record<string, unknown>>): vscode.PreparedToolInvocation {
    const input = options.input ?? {};
    const invocationMessage = `Eventscope: ${this.tool.title.toLowerCase()}${typeof input.store === 'string' ? ` in "${input.store}"` : ''}`;
    // No question for a call that will be refused (an untrusted workspace) or runs no code.
    if (!this.tool.runsCode(input) || !this.ctx.replays.isTrusted()) return { invocationMessage };
    return {
      invocationMessage,
      confirmationMessages: { title: 'Run a projection file?', message: new vscode.MarkdownString(describeRun(input)) },
    };
  }

  async invoke(
    options: vscode.LanguageModelToolInvocationOptions<Record<string, unknown>>,
    token: vscode.CancellationToken,
  ): Promise<vscode.LanguageModelToolResult> {
    // Stopped in the chat: the replay or search under way ends.
    const abort = new AbortController();
    const cancelled = token.onCancellationRequested(() => abort.abort());
    try {
      const answer = await this.runner.call(this.tool.name, options.input, abort.signal);
      return resultOf(answer.text, answer.structured);
    } catch (error) {
      // The model reads the sentence and can correct its call; details go to the log.
      this.ctx.log.failed(`Language-model tool ${this.tool.name}`, error);
      throw new Error(failureSentence(error, this.tool.name, CIPHER_KEY_ADVICE));
    } finally {
      cancelled.dispose();
    }
  }
}

/** Registers the tools and the MCP server definition; what it returns ends them. */
export function registerAgentTools(ctx: Ctx): vscode.Disposable {
  const runner = new ToolRunner(vscodeHost(ctx));
  const disposables: vscode.Disposable[] = TOOLS.map((tool) =>
    vscode.lm.registerTool(lmToolName(tool.name), new EventscopeTool(tool, runner, ctx)),
  );
  const changed = new vscode.EventEmitter<void>();
  disposables.push(
    changed,
    ctx.connections.onDidChange(() => changed.fire()),
    // --allow-code follows the workspace's trust.
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
    vscode.lm.registerMcpServerDefinitionProvider('eventscope.mcp', {
      onDidChangeMcpServerDefinitions: changed.event,
      provideMcpServerDefinitions: () => [mcpDefinition(ctx)],
      // Secrets go in the environment only when the server starts, never in a listed definition;
      // each store's own (EVENTSCOPE_STORE_SECRETS), so no connection's reach another's server.
      resolveMcpServerDefinition: async (definition) => {
        if (!(definition instanceof vscode.McpStdioServerDefinition)) return definition;
        const secrets: Record<string, { cipherKey?: string; password?: string }> = {};
        for (const connection of ctx.connections.list()) {
          const own = await ctx.connections.secrets(connection);
          if (!own.cipherKey && own.password === undefined) continue;
          secrets[ctx.connections.resolvePath(connection)] = {
            ...(own.cipherKey ? { cipherKey: own.cipherKey.toString('base64') } : {}),
            ...(own.password !== undefined ? { password: own.password } : {}),
          };
        }
        if (Object.keys(secrets).length) definition.env.EVENTSCOPE_STORE_SECRETS = JSON.stringify(secrets);
        return definition;
      },
    }),
  );
  return new vscode.Disposable(() => {
    for (const d of disposables) d.dispose();
    void runner.dispose();
  });
}

/**
 * The MCP server on the connections (the first is its default store), run by VS Code's own Node
 * (Electron as Node). Projection files only in a trusted workspace.
 */
export function mcpDefinition(ctx: Ctx): vscode.McpStdioServerDefinition {
  // A file's absolute path or a server's URL, as the server names the store (and its secrets).
  const stores = ctx.connections.list().flatMap((c) => ['--store', ctx.connections.resolvePath(c)]);
  const args = [join(ctx.context.extensionUri.fsPath, 'dist', 'mcp.js'), ...stores, ...(ctx.replays.isTrusted() ? ['--allow-code'] : [])];
  const version = (ctx.context.extension.packageJSON as { version?: string }).version;
  const definition = new vscode.McpStdioServerDefinition('Eventscope', process.execPath, args, { ELECTRON_RUN_AS_NODE: '1' }, version);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (folder) definition.cwd = folder;
  return definition;
}
