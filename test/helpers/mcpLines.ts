/**
 * An MCP session as stdin text, for tests that run a server program to its end: `initialize`, then
 * the requests (ids 1, 2, …); and the results the server wrote on stdout, by request.
 */

/** The JSON-RPC lines of a session: initialize, initialized, then each request. */
export function mcpInput(requests: [method: string, params: Record<string, unknown>][]): string {
  const lines = [
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'eventscope-test', version: '1' } },
    },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    ...requests.map(([method, params], i) => ({ jsonrpc: '2.0', id: i + 1, method, params })),
  ];
  return lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}

/** The result of each request (in order) in a server's stdout; undefined for one it did not answer. */
export function mcpResults(stdout: string, count: number): (Record<string, unknown> | undefined)[] {
  const replies = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { id?: number; result?: Record<string, unknown> });
  return Array.from({ length: count }, (_, i) => replies.find((m) => m.id === i + 1)?.result);
}
