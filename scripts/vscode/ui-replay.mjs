// The replay panel, as a person uses it (part of the UI check, run by ui.mjs after the Streams view):
// "Replay…" from the demo connection's context menu, the projection picked from the quick pick,
// then the panel's page (a webview: an iframe inside an iframe) driven with the keyboard and the
// toolbar, its State and Diff tabs read from the DOM, and "Find first failure" clicked until the
// timeline and the step show Dana Whitfield's duplicated Debited. Screenshot: replay-panel.png.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO, log, waitUntil } from './common.mjs';

const STORY = { name: 'Dana Whitfield' };

/** Text without any whitespace: how the DOM lays text out (flex items, table cells) does not matter then. */
const squash = (text) => (text ?? '').replace(/\s+/g, '');

function check(condition, message) {
  if (!condition) throw new Error(`replay panel: ${message}`);
}

const until = (what, probe, ms) => waitUntil('replay panel', what, probe, { ms });

export async function runReplayUi({ page, sandbox, runCommand, shoot, row }) {
  // The projection lives in the workspace, as a user's would.
  copyFileSync(join(REPO, 'examples', 'bank-balances.js'), join(sandbox.workspace, 'bank-balances.js'));

  // Tree: right-click the demo connection, "Replay…".
  await runCommand(page, 'Notifications: Clear All Notifications');
  await row('Demo bank').click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item', { hasText: 'Replay…' }).first();
  await item.waitFor({ state: 'visible', timeout: 10_000 });
  await item.click();
  const pick = page.locator('.quick-input-widget', { hasText: 'Replay with which projection?' });
  await pick.waitFor({ state: 'visible', timeout: 15_000 });
  const projection = page.locator('.quick-input-list .monaco-list-row', { hasText: 'bank-balances.js' }).first();
  await projection.waitFor({ state: 'visible', timeout: 15_000 });
  check(
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Generic (built-in)' }).first().isVisible(),
    'the generic projection is offered',
  );
  await projection.click();
  log('replay: opened from the tree with bank-balances.js');

  const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const counter = view.locator('#step-counter');
  await until('Step 1 of 330', async () => (await counter.textContent())?.trim() === 'Step 1 of 330', 30_000);
  check((await view.locator('#projection-name').textContent())?.trim() === 'Account balances', 'the projection name is shown');
  check((await view.locator('#source-label').textContent())?.includes('all events of demo.sqlite'), 'the source is shown');
  await until('the first timeline rows', async () => (await view.locator('.tl-row:not(.tl-loading)').count()) > 5);

  // Keyboard: focus the timeline, j moves forward, k back.
  await view.locator('.tl-row.selected').click();
  await page.keyboard.press('j');
  await until('Step 2 of 330 after j', async () => (await counter.textContent())?.trim() === 'Step 2 of 330');
  const stateText = async () => squash(await view.locator('[data-panel="state"]').innerText());
  await until('the State tab of step 2', async () => /Step2:BankAccount\.Credited/.test(await stateText()));
  const state2 = await stateText();
  check(/balances:\{1key\}/.test(state2), `the State tab shows one balance: ${state2.slice(0, 300)}`);
  const balance = /balances:\{1key\}[0-9a-f-]{36}:(\d+)/.exec(state2)?.[1];
  check(balance && Number(balance) > 0, `the State tab shows the credited balance: ${state2.slice(0, 300)}`);

  await view.locator('[data-tab="diff"]').click();
  const diffText = async () => squash(await view.locator('[data-panel="diff"]').innerText());
  const diff2 = await until('the Diff tab of step 2', async () => {
    const text = await diffText();
    return /~changedstate\.balances\["[0-9a-f-]{36}"\]0→\d+/.test(text) ? text : undefined;
  });
  check(diff2.includes(`0→${balance}`), `the Diff tab shows 0 → ${balance}: ${diff2.slice(0, 300)}`);
  log('replay: j stepped forward; the State and Diff tabs show the credit');

  await page.keyboard.press('k');
  await until('Step 1 of 330 after k', async () => (await counter.textContent())?.trim() === 'Step 1 of 330');
  await until('the Diff of the opening', async () => /\+addedstate\.balances\["[0-9a-f-]{36}"\]0/.test(await diffText()));
  await view.locator('#forward').click();
  await until('Step 2 of 330 after the toolbar button', async () => (await counter.textContent())?.trim() === 'Step 2 of 330');
  await page.keyboard.press('End');
  await until('Step 330 of 330 after End', async () => (await counter.textContent())?.trim() === 'Step 330 of 330');
  await page.keyboard.press('Home');
  await until('Step 1 of 330 after Home', async () => (await counter.textContent())?.trim() === 'Step 1 of 330');
  log('replay: k, the toolbar, End and Home move the cursor');

  // Play: Space starts stepping (5 steps a second), Space again pauses.
  const stepNumber = async () => Number(/Step (\d+)/.exec((await counter.textContent()) ?? '')?.[1] ?? 0);
  await view.locator('.tl-row.selected').click(); // (on a focused button, Space presses the button)
  await page.keyboard.press('Space');
  await until('playing past step 3', async () => (await stepNumber()) >= 3, 10_000);
  await page.keyboard.press('Space');
  await page.waitForTimeout(400);
  const paused = await stepNumber();
  await page.waitForTimeout(1000);
  check((await stepNumber()) === paused, 'Space paused playing');
  check((await view.locator('#play').getAttribute('aria-pressed')) === 'false', 'the play button shows paused');
  log(`replay: Space played to step ${paused} and paused`);

  // Find first failure: the timeline and the step show Dana's retried Debited.
  await view.locator('#find-failure').click();
  await until('the failing step', async () => /^Step 226 of 330$/.test((await counter.textContent())?.trim() ?? ''));
  const selected = view.locator('.tl-row.selected');
  await until('the selected timeline row', async () => squash(await selected.innerText()).includes('DebitedBankAccount'));
  check((await selected.getAttribute('class'))?.includes('mark-failure'), 'the row is marked as an invariant failure');
  const diff = await until('the failing Diff', async () => {
    const text = await diffText();
    return text.includes(squash(`The invariant fails after this event: ${STORY.name}'s balance is -787.93`)) ? text : undefined;
  });
  check(
    /~changedstate\.balances\["[0-9a-f-]{36}"\]4000→-78793/.test(diff),
    `the Diff shows the balance going negative: ${diff.slice(0, 400)}`,
  );
  const banner = squash(await view.locator('#failure-banner').innerText());
  check(banner.includes(squash(`step 226: ${STORY.name}'s balance is -787.93`)), `the failure banner: ${banner}`);
  log("replay: Find first failure selected step 226, Dana Whitfield's duplicated Debited");

  // Hidden, then shown again: the page is rebuilt (retainContextWhenHidden is off) and the host sends it
  // the latest state it kept.
  const tab = (text) => page.locator('.tabs-container .tab', { hasText: text }).first();
  await tab('2-Credited.json').click();
  await until(
    'the replay panel to be hidden',
    async () => (await page.locator('iframe.webview.ready').count()) === 0 || !(await counter.isVisible()),
  );
  await tab('Replay:').click();
  await until('Step 226 again after showing the panel', async () => (await counter.textContent())?.trim() === 'Step 226 of 330');
  log('replay: hidden and shown again, the panel is back at step 226');

  // Reload the window: the serializer restores the panel from the state its page kept, at the same step.
  await runCommand(page, 'Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await until('Step 226 after reloading the window', async () => (await counter.textContent())?.trim() === 'Step 226 of 330', 60_000);
  await until(
    'the restored step',
    async () =>
      squash(await diffText()).includes(squash(`${STORY.name}'s balance is -787.93`)) ||
      squash(await view.locator('[data-panel="state"]').innerText()).includes('Step226'),
  );
  check((await view.locator('#slider').inputValue()) === '225', 'the restored slider is at step 226');
  log('replay: after Reload Window the panel is restored at step 226');

  // The screenshot: hide the side bars so the panel has the room.
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  if (await page.locator('.part.auxiliarybar').isVisible()) await runCommand(page, 'View: Hide Secondary Side Bar');
  /** A screenshot of the panel without the notices over it. */
  const shootPanel = async (name) => {
    await view
      .locator('#notice-banner .dismiss')
      .click()
      .catch(() => {});
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page.waitForTimeout(500);
    await shoot(name);
  };
  await shootPanel('replay-panel.png');

  // The same story through the demo bank's own Python code (examples/bankapp), when the eventsourcing
  // library is at hand (.ci/run points EVENTSCOPE_EVENTSOURCING_SRC at it): its folder goes on the
  // replay's sys.path through the workspace setting, as a user's extra source root would.
  const library = process.env.EVENTSCOPE_EVENTSOURCING_SRC;
  if (library) {
    const settings = join(sandbox.workspace, '.vscode', 'settings.json');
    mkdirSync(dirname(settings), { recursive: true });
    const current = existsSync(settings) ? JSON.parse(readFileSync(settings, 'utf8')) : {};
    writeFileSync(settings, JSON.stringify({ ...current, 'eventscope.python.path': [library] }, null, 2));
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Eventscope: Replay the Demo Store with Python');
    await until('Step 1 of 330 (Python)', async () => (await counter.textContent())?.trim() === 'Step 1 of 330', 60_000);
    await until(
      'the Python projection',
      async () => (await view.locator('#projection-name').textContent())?.trim() === 'Account balances (Python)',
    );
    await view.locator('#find-failure').click();
    await until('the failing step (Python)', async () => /^Step 226 of 330$/.test((await counter.textContent())?.trim() ?? ''));
    await until('the Python failure banner', async () =>
      squash(await view.locator('#failure-banner').innerText()).includes(squash(`step 226: ${STORY.name}'s balance is -787.93`)),
    );
    await shootPanel('python-replay.png');
    log("replay: Replay the Demo Store with Python found Dana Whitfield's balance at step 226 too");
  } else log('replay: no EVENTSCOPE_EVENTSOURCING_SRC, so no Python replay screenshot');
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
}
