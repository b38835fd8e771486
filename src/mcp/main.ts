/**
 * dist/mcp.js: the MCP server's bundle. `eventscope mcp` loads it (src/cli/main.ts); VS Code's MCP
 * server definition runs it as a program (`node dist/mcp.js [--store STORE]... [--allow-code]`),
 * since the extension's package carries no CLI.
 */

import { guardSealedRejections } from '../core/sealed';
import { runMcpServer, type McpOptions } from './server';

export { runMcpServer };

/** The program's arguments: `--store STORE` (repeatable) and `--allow-code`. */
export function parseMcpArgs(argv: string[]): McpOptions {
  const options: McpOptions = { stores: [], allowCode: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--allow-code') options.allowCode = true;
    else if (arg === '--store' && i + 1 < argv.length) options.stores.push(argv[++i]);
    else if (arg.startsWith('--store=')) options.stores.push(arg.slice('--store='.length));
    else throw new Error(`eventscope mcp: unknown argument "${arg}" (it takes --store STORE and --allow-code)`);
  }
  return options;
}

if (require.main === module) {
  guardSealedRejections();
  let options: McpOptions;
  try {
    options = parseMcpArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  runMcpServer(options).catch((error: unknown) => {
    process.stderr.write(`eventscope mcp: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
