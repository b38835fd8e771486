#!/usr/bin/env node
'use strict';
// The `eventscope` command. Needs Node >= 22.14 (the project's npm scripts bring Node 24).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 14)) {
  process.stderr.write(
    `eventscope: needs Node.js 22.14 or newer (this is ${process.version}); run it with "npm run -s cli -- ..." in the project, which uses Node 24.\n`,
  );
  process.exit(1);
}
require('../dist/cli.js');
