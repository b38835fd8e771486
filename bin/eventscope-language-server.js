#!/usr/bin/env node
'use strict';
// The Eventscope language server for LSP editors (`eventscope-language-server --stdio --store FILE`).
// Needs Node >= 22.14, as the `eventscope` command does.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 14)) {
  process.stderr.write(`eventscope-language-server: needs Node.js 22.14 or newer (this is ${process.version}).\n`);
  process.exit(1);
}
require('../dist/server.js');
