// Runs the extension-host tests (test/vscode/**/*.test.ts) inside a real VS Code: code-server serves the
// workbench, Debian's chromium (through playwright-core) opens it with the smoke-test driver enabled, and
// the `payload` URL parameter makes the workbench load this repo as extensionDevelopmentPath and the
// compiled test index as extensionTestsPath. Mocha's output arrives through `codeAutomationLog`, the exit
// code through `codeAutomationExit`. Exits with the tests' exit code; the server's process group and the
// browser are always torn down (also on failure, Ctrl-C or the overall timeout).
//
//   node scripts/vscode/run.mjs [--grep RE] [--timeout S] [--keep] [--verbose]   extension-host tests
//   node scripts/vscode/run.mjs --ui [--vsix FILE] [--out FILE]                   UI check + screenshot (ui.mjs)
//
// Needs `npm run build` (dist/extension.js) and `node scripts/vscode/setup.mjs`; `npm run test:vscode` does all.
import { build } from 'esbuild';
import { commonOptions } from '../esbuild-options.mjs';
import { createWriteStream, existsSync, globSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import { LOG_DIR, REPO, log, stopwatch } from './common.mjs';
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

const TEST_OUT = join(REPO, 'dist', 'test', 'vscode');

/** Bundles test/vscode/index.ts and every test/vscode/**\/*.test.ts into dist/test/vscode (CommonJS). */
async function buildTests() {
  const tests = globSync('test/vscode/**/*.test.ts', { cwd: REPO });
  rmSync(TEST_OUT, { recursive: true, force: true });
  await build({
    absWorkingDir: REPO,
    entryPoints: ['test/vscode/index.ts', ...tests],
    outbase: 'test/vscode',
    outdir: TEST_OUT,
    ...commonOptions,
    // mocha resolves from the project's node_modules (dist/ is inside the repo).
    external: [...commonOptions.external, 'mocha'],
  });
  return { index: join(TEST_OUT, 'index.js'), count: tests.length };
}

/** Marks the test output among the workbench's log lines (OUTPUT_MARK in test/vscode/index.ts). */
const OUTPUT_MARK = '\u001e';

async function runExtensionTests(context, options) {
  const { sandbox, resources } = context;
  if (!existsSync(join(REPO, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run "npm run build" first');
  const built = stopwatch();
  const { index, count } = await buildTests();
  log(`built ${count} test file(s) into ${relative(REPO, TEST_OUT)} (${built()})`);

  const resultsFile = join(sandbox.root, 'results.json');
  const started = stopwatch();
  resources.server = await startCodeServer(sandbox, {
    // Trusted: VS Code starts debug sessions only in a trusted workspace, and its trust prompt is a dialog the
    // smoke-test driver refuses (test/vscode/debug.test.ts). Restricted Mode is tested with ctx.replays.trustOverride.
    args: ['--vscode-option', 'enable-smoke-test-driver', '--disable-workspace-trust'],
    // Reach the extension host: code-server passes its environment on.
    env: { EVENTSCOPE_VSCODE_RESULTS: resultsFile, EVENTSCOPE_VSCODE_GREP: options.grep ?? '' },
    logFile: join(LOG_DIR, 'code-server.log'),
  });
  log(`code-server up on ${resources.server.origin} (${started()})`);
  const launched = stopwatch();
  resources.browser = await launchBrowser(sandbox);
  const page = await resources.browser.newPage();
  log(`chromium launched (${launched()})`);

  const automationLog = createWriteStream(join(LOG_DIR, 'workbench.log'));
  let sincePageLoad = () => '-';
  let exit;
  const exited = new Promise((resolve) => (exit = resolve));
  await page.exposeFunction('codeAutomationExit', (code) => exit(Number(code)));
  await page.exposeFunction('codeAutomationLog', (level, message) => {
    const text = String(message);
    automationLog.write(`${sincePageLoad()} [${level}] ${text}\n`);
    if (text.includes(OUTPUT_MARK)) process.stdout.write(`${text.replaceAll(OUTPUT_MARK, '')}\n`);
    else if (options.verbose) process.stdout.write(`[workbench ${level}] ${text}\n`);
  });
  page.on('pageerror', (error) => automationLog.write(`[page error] ${error.stack ?? error}\n`));
  page.on('crash', () => {
    log('the workbench page crashed');
    exit(1);
  });

  const payload = [
    ['extensionDevelopmentPath', remoteUri(resources.server, REPO)],
    ['extensionTestsPath', remoteUri(resources.server, index)],
    ['skipWelcome', 'true'],
  ];
  const tests = (sincePageLoad = stopwatch());
  // A cold code-server on a busy machine can take a while to serve the workbench.
  await page.goto(workbenchUrl(resources.server, sandbox.workspace, payload), { timeout: 120_000 });
  const code = await exited;
  automationLog.end();
  log(`extension host exited with ${code} (${tests()} from page load)`);

  let results = null;
  try {
    results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  } catch {
    // the tests never got to write it (load error): the exit code decides
  }
  if (results) log(`results: ${results.tests} tests, ${results.passes} passing, ${results.pending} pending, ${results.failures} failing`);
  if (code === 0 && (!results || results.tests === 0)) {
    log('exit code 0 but no test results: treating as a failure');
    return 1;
  }
  return code;
}

async function main() {
  const { values: options } = parseArgs({
    options: {
      ui: { type: 'boolean', default: false },
      out: { type: 'string' },
      vsix: { type: 'string' },
      timeout: { type: 'string', default: process.env.EVENTSCOPE_VSCODE_TIMEOUT ?? '300' },
      keep: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      grep: { type: 'string' },
    },
  });
  const total = stopwatch();
  requireSetup();
  mkdirSync(LOG_DIR, { recursive: true });
  const sandbox = makeSandbox();
  const resources = { server: null, browser: null };

  let cleaning = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      const teardown = stopwatch();
      const browser = resources.browser;
      resources.browser = null;
      if (browser) await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
      const server = resources.server;
      resources.server = null;
      // Every server started, also one still waiting for /healthz when a signal or the timeout came.
      await stopAllServers();
      if (server && (options.verbose || process.exitCode)) log(`logs of this run: ${relative(REPO, LOG_DIR)}/`);
      if (browser || server) log(`stopped the browser and code-server's process group (${teardown()})`);
      if (options.keep) log(`kept ${sandbox.root}`);
      else sandbox.remove();
    })());
  let stopping = false; // a timeout or a signal is tearing everything down
  // Last resort if something exits the process without the cleanup above.
  process.on('exit', killAllServersNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      stopping = true;
      log(`${signal}: stopping code-server and the browser`);
      cleanup().finally(() => process.exit(130));
    });
  }
  const timeoutMs = Number(options.timeout) * 1000;
  const timer = setTimeout(() => {
    stopping = true;
    process.exitCode = 1;
    log(`timed out after ${options.timeout} s: stopping code-server and the browser`);
    cleanup().finally(() => process.exit(1));
  }, timeoutMs);

  let code;
  try {
    if (options.ui) {
      const { runUi } = await import('./ui.mjs');
      code = await runUi({ sandbox, resources }, options);
    } else {
      code = await runExtensionTests({ sandbox, resources }, options);
    }
  } catch (error) {
    // (after a timeout or a signal, the errors of the torn-down browser are only noise)
    if (!stopping) log(`error: ${error.stack ?? error}`);
    code = 1;
  }
  clearTimeout(timer);
  process.exitCode = code;
  await cleanup();
  log(`${options.ui ? 'UI check' : 'extension-host tests'}: exit ${code}, ${total()} in all`);
  process.exit(code);
}

await main();
