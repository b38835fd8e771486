/**
 * `eventscope mcp`: a Model Context Protocol server over stdio (the official SDK's low-level
 * `Server`), bundled apart as dist/mcp.js and loaded only by that command. It serves the agent
 * tools (core/tools/tools.ts) on the stores named by path or URL; `--store` names the default one
 * (and those the tools' descriptions list); cipher keys and passwords come from the environment
 * (EVENTSCOPE_CIPHER_KEY, EVENTSCOPE_PASSWORD, …), never from arguments, answers or logs.
 * Projection files run only with `--allow-code`. A failing call is a tool result with `isError`
 * and one sentence; the details go to stderr (the client's log), never a crashed server.
 */

import { resolve } from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parseCipherKey } from '../core/codecs/eventsourcing';
import { EventscopeError } from '../core/errors';
import { failureSentence, TOOLS, ToolRunner, type StoreRef, type ToolHost } from '../core/tools/tools';

declare const EVENTSCOPE_VERSION: string;

export interface McpOptions {
  /** The stores `--store` named (the first is the default). */
  stores: string[];
  allowCode: boolean;
}

/** A URL without its password, for answers and logs. */
export function withoutPassword(location: string): string {
  try {
    const url = new URL(location);
    const inQuery = [...url.searchParams.keys()].filter((k) => /pass/i.test(k));
    if (!url.password && !inQuery.length) return location;
    url.password = '';
    for (const key of inQuery) url.searchParams.delete(key);
    return url.toString().replace(/:@/, '@');
  } catch {
    return location;
  }
}

const CIPHER_KEY_ADVICE = 'start the server with EVENTSCOPE_CIPHER_KEY (the library’s CIPHER_KEY) in its environment';

/**
 * `EVENTSCOPE_STORE_SECRETS`: each store's own key and password, as JSON `{"<store as --store
 * names it>": {"cipherKey": "<base64>", "password": "…"}}` (VS Code's MCP server definition sets
 * it, so that one connection's secrets never go to another's server).
 */
function storeSecrets(): Map<string, { cipherKey?: string; password?: string }> {
  const text = process.env.EVENTSCOPE_STORE_SECRETS;
  if (!text) return new Map();
  try {
    const parsed = JSON.parse(text) as Record<string, { cipherKey?: string; password?: string }>;
    return new Map(Object.entries(parsed));
  } catch {
    throw new EventscopeError('EVENTSCOPE_STORE_SECRETS is not JSON of the form {"<store>": {"cipherKey": "…", "password": "…"}}.');
  }
}

/** The tool host of an MCP server: stores by path or URL (from the working folder), keys from the environment. */
function mcpHost(options: McpOptions): ToolHost {
  const cwd = process.cwd();
  const keyText = process.env.EVENTSCOPE_CIPHER_KEY || process.env.CIPHER_KEY;
  let cipherKey: Buffer | undefined;
  let perStore: ReturnType<typeof storeSecrets> | undefined;
  return {
    baseDir: cwd,
    async store(name): Promise<StoreRef> {
      const given = name ?? options.stores[0];
      if (given === undefined) {
        throw new EventscopeError(
          'Name a store: the path of an event store file or a postgres://, kurrentdb:// or redis:// URL (the server was started without --store).',
        );
      }
      const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(given);
      const location = isUrl ? given : resolve(cwd, given);
      perStore ??= storeSecrets();
      const own = perStore.get(location);
      if (own) {
        return {
          label: withoutPassword(given),
          location,
          ...(own.cipherKey ? { cipherKey: parseCipherKey(own.cipherKey) } : {}),
          ...(own.password !== undefined ? { password: own.password } : {}),
        };
      }
      cipherKey ??= keyText ? parseCipherKey(keyText) : undefined;
      return { label: withoutPassword(given), location, ...(cipherKey ? { cipherKey } : {}) };
    },
    codeRefusal: () =>
      options.allowCode
        ? undefined
        : 'This server runs no projection files: it was started without --allow-code. Leave out `projection` to replay with the generic projection.',
  };
}

/** The server, not yet connected; `idle` waits for the calls under way. */
function createMcpServer(options: McpOptions): { server: Server; runner: ToolRunner; idle: () => Promise<void> } {
  const inFlight = new Set<Promise<unknown>>();
  const runner = new ToolRunner(mcpHost(options));
  // The client's log of the server.
  const log = (text: string) => process.stderr.write(`${text}\n`);
  const server = new Server(
    { name: 'eventscope', title: 'Eventscope', version: EVENTSCOPE_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'Eventscope reads event-sourced stores (eventsourcing SQLite/PostgreSQL, KurrentDB, Redis streams, .events files) read-only. Start with store_info; find_first_failure answers "which event put the system into a bad state".' +
        (options.stores.length ? ` Stores: ${options.stores.map(withoutPassword).join(', ')} (the first is the default).` : ''),
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: TOOLS.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: t.inputSchema as { type: 'object' },
      outputSchema: t.outputSchema as { type: 'object' },
      annotations: { title: t.title, readOnlyHint: true, openWorldHint: false },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, (request, extra): Promise<CallToolResult> => {
    const answered = answer(request.params.name, request.params.arguments, extra.signal);
    inFlight.add(answered);
    void answered.finally(() => inFlight.delete(answered));
    return answered;
  });
  async function answer(name: string, args: unknown, signal: AbortSignal): Promise<CallToolResult> {
    try {
      const answer = await runner.call(name, args, signal);
      return { content: [{ type: 'text', text: answer.text }], structuredContent: answer.structured };
    } catch (error) {
      const message = failureSentence(error, name, CIPHER_KEY_ADVICE);
      log(signal.aborted ? `eventscope mcp: ${name} cancelled by the client` : `eventscope mcp: ${name} failed: ${message}`);
      if (!(error instanceof EventscopeError)) log(String((error as Error)?.stack ?? error));
      return { content: [{ type: 'text', text: message }], isError: true };
    }
  }
  const idle = async () => {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  };
  return { server, runner, idle };
}

/** Serves over stdio until the client goes away. */
export async function runMcpServer(options: McpOptions): Promise<void> {
  const { server, runner, idle } = createMcpServer(options);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolveClosed) => {
    server.onclose = () => resolveClosed();
  });
  await server.connect(transport);
  // The client closed its end: the calls under way still answer, then the server ends.
  process.stdin.on('end', () => void idle().then(() => server.close()));
  await closed;
  await runner.dispose();
}
