// The UI check behind `node scripts/vscode/run.mjs --ui [--vsix FILE] [--out FILE]`: what a person sees.
// Installs a packaged build (--vsix, or the newest *.vsix in the repo root) into a fresh code-server, or
// else loads the repo as the development extension; opens a folder, answers the workspace-trust prompt,
// runs "Eventscope: Open Demo Store" from the command palette, expands a category and a stream in the
// Streams view, opens an event, adds an encrypted connection, drives the replay panel (ui-replay.mjs), the
// debugger (ui-debug.mjs) and the language server (ui-language.mjs), and saves screenshots of each step
// into docs/screenshots/ (or --out DIR).
// run.mjs owns the timeout and teardown.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { LOG_DIR, REPO, log, stopwatch } from './common.mjs';
import { installVsix, launchBrowser, remoteUri, startCodeServer, workbenchUrl } from './harness.mjs';
import { runDebugUi } from './ui-debug.mjs';
import { runLanguageUi } from './ui-language.mjs';
import { runReplayUi } from './ui-replay.mjs';

const DEFAULT_SCREENSHOTS = join(REPO, 'docs', 'screenshots');

function newestVsix() {
  const files = readdirSync(REPO)
    .filter((name) => name.endsWith('.vsix'))
    .map((name) => join(REPO, name));
  files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0] ?? null;
}

/** F1, type the title, pick the row (retried: a keypress can land before the workbench takes focus). */
async function runCommand(page, title) {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${title}`);
      // A contributed command is listed as soon as its extension is known, before it activates.
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      await row.click();
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      log(`command palette: "${title}" not found yet (attempt ${attempt}); retrying`);
    }
  }
}

/** Answers the startup trust prompt if there is one, else trusts the folder from the Workspace Trust editor. */
async function trustWorkspace(page) {
  const prompt = page.getByRole('button', { name: 'Yes, I trust the authors' });
  const restricted = page.locator('.statusbar-item', { hasText: 'Restricted Mode' });
  try {
    await prompt.or(restricted).first().waitFor({ state: 'visible', timeout: 15_000 });
  } catch {
    log('workspace trust: no prompt and not in Restricted Mode (trusted already)');
    return;
  }
  if (await prompt.isVisible()) {
    await prompt.click();
    log('workspace trust: answered the prompt "Yes, I trust the authors"');
  } else {
    await runCommand(page, 'Manage Workspace Trust');
    const editor = page.locator('.workspace-trust-editor');
    await editor.locator('.monaco-button', { hasText: /^Trust$/ }).click();
    await runCommand(page, 'View: Close Editor');
    log('workspace trust: was in Restricted Mode; pressed "Trust" in the Workspace Trust editor');
  }
  await restricted.waitFor({ state: 'hidden', timeout: 15_000 });
}

export async function runUi({ sandbox, resources }, options) {
  const shots = resolve(options.out ?? DEFAULT_SCREENSHOTS);
  const vsix = options.vsix ? resolve(options.vsix) : newestVsix();
  if (vsix) {
    const t = stopwatch();
    await installVsix(sandbox, vsix);
    log(`installed ${relative(REPO, vsix)} (${t()})`);
  } else {
    if (!existsSync(join(REPO, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run "npm run build" first');
    log('no .vsix in the repo root: loading the repo as the development extension');
  }

  // The built workbench reads the `payload` URL parameter (extensionDevelopmentPath) only with the smoke-test driver on.
  const smokeTestDriver = !vsix;
  const args = smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : [];
  resources.server = await startCodeServer(sandbox, { args, logFile: join(LOG_DIR, 'code-server-ui.log') });
  resources.browser = await launchBrowser(sandbox);
  const page = await resources.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const payload = vsix ? null : [['extensionDevelopmentPath', remoteUri(resources.server, REPO)]];
  try {
    const t = stopwatch();
    await page.goto(workbenchUrl(resources.server, sandbox.workspace, payload), { timeout: 120_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    log(`workbench visible (${t()})`);

    // Workspace trust is on (no --disable-workspace-trust): a new folder opens in Restricted Mode, where
    // extensions without `capabilities.untrustedWorkspaces` stay disabled. Trust it the way a person does.
    await trustWorkspace(page);

    const shoot = async (name) => {
      mkdirSync(shots, { recursive: true });
      const path = join(shots, name);
      await page.screenshot({ path });
      log(`screenshot: ${relative(REPO, path)}`);
    };
    // Start from an empty notifications list (code-server's web worker host reports a built-in extension it ships without).
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'Eventscope: Open Demo Store');
    const tree = page.locator('.pane-body .monaco-list-row');
    const row = (text) => tree.filter({ hasText: text }).first();
    await row('BankAccount').waitFor({ state: 'visible', timeout: 30_000 });
    log('the Streams view shows the demo store');
    await shoot('streams-tree.png');

    await row('BankAccount').click();
    // A stream row: its label and short id ("Alice Smith 0be6ca27… · 25 events"), or its whole UUID.
    const stream = tree.filter({ hasText: /[0-9a-f]{8}[-…]/ }).first();
    await stream.waitFor({ state: 'visible', timeout: 15_000 });
    await stream.click();
    await row('Opened').waitFor({ state: 'visible', timeout: 15_000 });
    await shoot('stream-events.png');

    await row('Credited').click();
    await page.locator('.monaco-editor .view-lines', { hasText: 'BankAccount.Credited' }).first().waitFor({ timeout: 15_000 });
    log('the event opened as a JSON document');
    await shoot('event-document.png');

    // Add Connection, as a person does: kind, file (VS Code's own file dialog), name, cipher key.
    const store = join(sandbox.workspace, 'encrypted-bank.db');
    copyFileSync(join(REPO, 'test', 'fixtures', 'eventsourcing', 'c_aes_zlib.db'), store);
    chmodSync(store, 0o644);
    const input = page.locator('.quick-input-widget input');
    const accept = async (value) => {
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      if (value !== undefined) await input.fill(value);
      await page.keyboard.press('Enter');
    };
    await runCommand(page, 'Eventscope: Add Connection…');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'eventsourcing SQLite file' }).waitFor({ timeout: 15_000 });
    await accept();
    await page.locator('.quick-input-widget', { hasText: 'Event store file' }).waitFor({ timeout: 15_000 });
    // The dialog fills in its folder after it opens: type the path only once its listing is there.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'encrypted-bank.db' }).waitFor({ timeout: 15_000 });
    await input.fill(store);
    if ((await input.inputValue()) !== store) throw new Error(`the file dialog shows "${await input.inputValue()}", not ${store}`);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'Connection name' }).waitFor({ timeout: 15_000 });
    await accept();
    await page.locator('.quick-input-widget', { hasText: 'Cipher key' }).waitFor({ timeout: 15_000 });
    await input.fill('ZXZlbnRzb3VyY2luZy1maXh0dXJlLWtleS0zMmJ5dGU=');
    await shoot('add-connection-key.png');
    await page.keyboard.press('Enter');
    await row('encrypted-bank').waitFor({ state: 'visible', timeout: 15_000 });
    // The tree refreshes as the connection and its key are saved, which can fold the row again:
    // expand it until its aggregate types show.
    const encryptedTypes = tree.filter({ hasText: 'BankAccount' }).nth(1);
    for (let attempt = 0; !(await encryptedTypes.isVisible()); attempt++) {
      if (attempt === 15) throw new Error('the encrypted-bank connection does not expand to show its aggregate types');
      if ((await row('encrypted-bank').getAttribute('aria-expanded')) !== 'true') await row('encrypted-bank').click();
      await encryptedTypes.waitFor({ state: 'visible', timeout: 1_000 }).catch(() => {});
    }
    log('Add Connection: an encrypted store connected with its key');
    await shoot('add-connection-done.png');

    // The replay panel (ui-replay.mjs): opened from the tree, stepped, searched, screenshot.
    await runReplayUi({ page, sandbox, runCommand, shoot, row });
    // The debugger (ui-debug.mjs): a line breakpoint in the projection, F5 on a launch.json, Step Back, Shift+F5.
    await runDebugUi({ page, sandbox, runCommand, shoot });
    // The language server (ui-language.mjs): CodeLenses, completions and a hover in a projection, a .events file's warning.
    await runLanguageUi({ page, sandbox, runCommand, shoot });
    return 0;
  } catch (error) {
    const failure = join(LOG_DIR, 'ui-failure.png');
    await page.screenshot({ path: failure }).catch(() => {});
    log(`UI check failed; the page at that moment: ${relative(REPO, failure)}`);
    throw error;
  }
}
