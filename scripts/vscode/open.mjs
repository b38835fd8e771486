// `npm run vscode`: see the extension in a real VS Code. Builds it, writes the demo store into a workspace
// folder (.eventscope/workspace: the demo, a connection to it, the example projection), starts code-server
// with this repo loaded as the development extension and prints the URL to open in a browser. Runs until
// Ctrl-C; after a change, `npm run build` in another terminal and "Developer: Reload Window" in the page.
//
//   node scripts/vscode/open.mjs [--port N] [--check]
//
// --check opens the URL in headless Chromium, waits until the Streams view shows the demo store, takes a
// screenshot (.cache/vscode/logs/open-check.png) and exits 0 (or 1): proof that the printed URL works.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { LOG_DIR, REPO, log, projectNode, stopwatch } from './common.mjs';
import {
  killAllServersNow,
  launchBrowser,
  makeSandbox,
  remoteUri,
  requireSetup,
  startCodeServer,
  stopAllServers,
  workbenchUrl,
} from './harness.mjs';
import { execFileSync } from 'node:child_process';

const { values: options } = parseArgs({
  options: { port: { type: 'string' }, check: { type: 'boolean', default: false } },
});

const total = stopwatch();
requireSetup();
mkdirSync(LOG_DIR, { recursive: true });

// The workspace a newcomer sees: the demo store, a connection to it, and the projection that finds its bug.
const workspace = join(REPO, '.eventscope', 'workspace');
mkdirSync(join(workspace, '.vscode'), { recursive: true });
const node = projectNode();
const demo = join(workspace, 'demo.sqlite');
execFileSync(node.bin, [join(REPO, 'dist', 'cli.js'), 'demo', '--force', demo], { stdio: ['ignore', 'ignore', 'inherit'] });
copyFileSync(join(REPO, 'examples', 'bank-balances.js'), join(workspace, 'bank-balances.js'));
writeFileSync(
  join(workspace, '.vscode', 'settings.json'),
  JSON.stringify({ 'eventscope.connections': [{ name: 'demo', kind: 'eventsourcing-sqlite', path: 'demo.sqlite' }] }, null, 2) + '\n',
);

const sandbox = makeSandbox('eventscope-open-');
const resources = { server: null, browser: null };
let cleaning = null;
const cleanup = () =>
  (cleaning ??= (async () => {
    await resources.browser?.close().catch(() => {});
    await stopAllServers();
    sandbox.remove();
  })());
process.on('exit', killAllServersNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    log(`${signal}: stopping code-server`);
    cleanup().finally(() => process.exit(0));
  });
}

resources.server = await startCodeServer(sandbox, {
  // The smoke-test driver makes the workbench honour `payload` (extensionDevelopmentPath) in the URL.
  args: ['--vscode-option', 'enable-smoke-test-driver'],
  logFile: join(LOG_DIR, 'code-server-open.log'),
  ...(options.port ? { port: Number(options.port) } : {}),
});
const url = workbenchUrl(resources.server, workspace, [
  ['extensionDevelopmentPath', remoteUri(resources.server, REPO)],
  ['skipWelcome', 'true'],
]);
log(`code-server is up (${total()}); workspace ${relative(REPO, workspace)}, logs in ${relative(REPO, LOG_DIR)}/`);

if (!options.check) {
  process.stdout.write(`\nOpen Eventscope in VS Code (the demo store is connected; Ctrl-C stops):\n\n  ${url}\n\n`);
  process.stdout.write('The Eventscope icon in the activity bar opens the Streams view. Trust the folder to replay bank-balances.js.\n');
  await new Promise(() => {}); // until a signal
}

let code = 1;
try {
  resources.browser = await launchBrowser(sandbox);
  const page = await resources.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url, { timeout: 120_000 });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await page.locator('.activitybar .action-item a[aria-label^="Eventscope"]').first().click({ timeout: 30_000 });
  await page.locator('.pane-body .monaco-list-row', { hasText: 'demo' }).first().waitFor({ state: 'visible', timeout: 30_000 });
  await page.locator('.pane-body .monaco-list-row', { hasText: 'demo' }).first().click();
  await page.locator('.pane-body .monaco-list-row', { hasText: 'BankAccount' }).first().waitFor({ state: 'visible', timeout: 30_000 });
  await page.screenshot({ path: join(LOG_DIR, 'open-check.png') });
  log(`--check: the Streams view shows the demo connection and its BankAccount streams at ${url} (${total()})`);
  code = 0;
} catch (error) {
  log(`--check failed: ${error.message}`);
}
await cleanup();
process.exit(code);
