/**
 * dist/mcp.js: the MCP server's bundle. `eventscope mcp` loads it (src/cli/main.ts); VS Code's MCP
 * server definition runs it as a program (`node dist/mcp.js [--store STORE]... [--allow-code]`),
 * since the extension's package carries no CLI.
 */

import { guardSealedRejections } from '../core/sealed';
import { parseCommandLine, type CommandLine } from '../cli/args';
import { messageOf } from '../core/errors';
import { runMcpServer } from './server';

export { runMcpServer };

if (require.main === module) {
  guardSealedRejections();
  // The command's own table parses the arguments, as for `eventscope mcp`.
  let line: CommandLine;
  try {
    line = parseCommandLine(['mcp', ...process.argv.slice(2)]);
  } catch (error) {
    process.stderr.write(`eventscope mcp: ${messageOf(error)}\n`);
    process.exit(2);
  }
  if (line.kind !== 'run' || line.command !== 'mcp') {
    process.stderr.write('eventscope mcp: it takes --store STORE (repeatable) and --allow-code\n');
    process.exit(2);
  }
  runMcpServer({ stores: line.values.store ?? [], allowCode: line.values['allow-code'] === true }).catch((error: unknown) => {
    process.stderr.write(`eventscope mcp: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
