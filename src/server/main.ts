/**
 * The language server as a program (dist/server.js): VS Code starts it over IPC; other editors run
 * `node dist/server.js --stdio [--store PATH_OR_URL]...` (a store's cipher key and password from
 * EVENTSCOPE_CIPHER_KEY and EVENTSCOPE_PASSWORD, as for the CLI).
 */

import { basename } from 'node:path';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import type { StoreRef } from './protocol';
import { startServer } from './server';

declare const EVENTSCOPE_VERSION: string;

const USAGE = `Usage: node server.js (--stdio | --node-ipc | --socket=PORT) [--store PATH_OR_URL]...

The Eventscope language server: .events files and projection files, with completions and checks
from the event stores given (--store, or initialization options {"stores": [{"name", "location"}]}).
A store's cipher key comes from EVENTSCOPE_CIPHER_KEY (or CIPHER_KEY), a server's password from
EVENTSCOPE_PASSWORD.
`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
} else if (args.includes('--version')) {
  process.stdout.write(`${typeof EVENTSCOPE_VERSION === 'string' ? EVENTSCOPE_VERSION : 'dev'}\n`);
} else {
  const stores: StoreRef[] = [];
  const cipherKey = process.env.EVENTSCOPE_CIPHER_KEY || process.env.CIPHER_KEY;
  const password = process.env.EVENTSCOPE_PASSWORD;
  for (let i = 0; i < args.length; i++) {
    const value = args[i] === '--store' ? args[++i] : args[i].startsWith('--store=') ? args[i].slice('--store='.length) : undefined;
    if (!value) continue;
    stores.push({
      name: basename(value.replace(/\?.*$/, '')) || value,
      location: value,
      ...(cipherKey ? { cipherKey } : {}),
      ...(password ? { password } : {}),
    });
  }
  // The transport is chosen from the arguments (--stdio, --node-ipc, --socket=, --pipe=).
  startServer(createConnection(ProposedFeatures.all), { stores });
}
