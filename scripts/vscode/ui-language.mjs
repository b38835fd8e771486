// The language server, as a person meets it (part of the UI check, run by ui.mjs after the debugger): with
// the demo store the only connection (the encrypted one Add Connection made is removed from the tree), a
// projection file written into the workspace and opened with Go to File shows its CodeLenses (Replay,
// Debug, Find first broken invariant); typing `event.data.` in its Debited handler lists the Debited
// events' data fields (amount, transaction_id; picked with the arrow keys) with their details; hovering a
// handler's key (Credited) shows the type with its count of events in the demo store. Then a `.events` file with a
// misspelt type gets a warning squiggle, whose hover says "did you mean" and offers the quick fix, and the
// Problems panel lists it. Screenshots: projection-completion.png, projection-hover.png,
// events-diagnostics.png. Everything opened here is closed again at the end.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, waitUntil } from './common.mjs';

const PROJECTION = 'balances.projection.js';
const PROJECTION_SOURCE = `// Each account's balance in the demo bank; no balance may go below zero.
export default {
  name: 'Balances',
  init: () => ({ balances: {} }),
  when: {
    'BankAccount.Opened': (state, event) => {
      state.balances[event.streamId] = 0;
    },
    Credited: (state, event) => {
      state.balances[event.streamId] = (state.balances[event.streamId] ?? 0) + Number(event.data.amount);
    },
    Debited: (state, event) => {
      state.balances[event.streamId] = (state.balances[event.streamId] ?? 0) - Number(event.data.amount);
    },
  },
  invariant: (state) => Object.values(state.balances).every((balance) => balance >= 0),
};
`;
/** The handler the completion is typed into (a new line after this one), and what is typed. */
const TYPE_AFTER = 'Debited: (state, event) => {';
const TYPED = 'const id = event.data.';

const EVENTS = 'fixture.events';
const EVENTS_SOURCE = `# A fixture for a test: an account opened, then a debit (its type misspelt).
### BankAccount.Opened  acc-1
{
  "full_name": "Ada Lovelace",
  "email_address": "ada@example.com"
}

### BankAccount.Debitted  acc-1
{ "amount": "25.00", "transaction_id": "t-0001" }
`;
const MISSPELT = 'BankAccount.Debitted';
const WARNING = `No event of type "${MISSPELT}" in Demo bank; did you mean "BankAccount.Debited"?`;

function check(condition, message) {
  if (!condition) throw new Error(`language: ${message}`);
}

const until = (what, probe, options) => waitUntil('language', what, probe, options);

/** Text without any whitespace: how the DOM lays text out does not matter then. */
const squash = (text) => (text ?? '').replace(/\s+/g, '');

/** The 1-based line of `text` in `source`. */
function lineOf(source, text) {
  const line = source.split('\n').findIndex((l) => l.includes(text)) + 1;
  check(line > 0, `no line "${text}" in the file written`);
  return line;
}

export async function runLanguageUi({ page, sandbox, runCommand, shoot }) {
  writeFileSync(join(sandbox.workspace, PROJECTION), PROJECTION_SOURCE);
  writeFileSync(join(sandbox.workspace, EVENTS), EVENTS_SOURCE);

  // Only the demo store: the encrypted fixture store Add Connection connected earlier goes (its context menu's
  // Remove Connection, confirmed), so counts, samples and "did you mean" speak of the demo bank alone.
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'Eventscope: Focus on Streams View');
  const tree = page.locator('.pane-body .monaco-list-row');
  await tree.filter({ hasText: 'Demo bank' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  // (its row, not the file's under "Detected in this workspace", where it shows once the connection is gone)
  const extra = tree.filter({ has: page.locator('.label-name', { hasText: /^\s*encrypted-bank\s*$/ }) }).first();
  if (await extra.isVisible()) {
    await extra.click({ button: 'right' });
    const item = page.locator('.monaco-menu .action-item', { hasText: 'Remove Connection' }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'encrypted-bank' });
    // (a click as the menu opens can go unheard: again while the menu is still there)
    for (let attempt = 1; !(await dialog.isVisible()); attempt++) {
      if (await item.isVisible()) await item.click();
      try {
        await dialog.waitFor({ state: 'visible', timeout: 5_000 });
      } catch (error) {
        if (attempt === 3) throw error;
        log(`language: no confirmation of Remove Connection yet (attempt ${attempt}); retrying`);
      }
    }
    await dialog.locator('.monaco-button', { hasText: /^Remove$/ }).click();
    await extra.waitFor({ state: 'hidden', timeout: 15_000 });
    log('language: removed the encrypted-bank connection; the demo store is the only one');
  }

  // Room for the editor: no other editor, side bars or panel (the debugger leg leaves Run and Debug open).
  if (await page.locator('.part.auxiliarybar').isVisible()) await runCommand(page, 'View: Hide Secondary Side Bar');
  if (await page.locator('.part.sidebar').isVisible()) await runCommand(page, 'View: Close Primary Side Bar');
  if (await page.locator('.part.panel').isVisible()) await runCommand(page, 'View: Hide Panel');
  await runCommand(page, 'Notifications: Clear All Notifications');

  const input = page.locator('.quick-input-widget input');
  const editor = page.locator('.part.editor .editor-group-container.active .monaco-editor').first();
  const position = page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first();

  /**
   * Go to File (Ctrl+P's list), the file picked; waits for `text` in the editor. Quick Open's file index can
   * lag behind a file written a moment ago (it answers "No matching results"): asked again, and in the end
   * the file is opened with File: Open File... (VS Code's own dialog, which lists the folder afresh).
   */
  const openFile = async (name, text) => {
    const file = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    for (let attempt = 1; ; attempt++) {
      if (attempt <= 2) {
        await runCommand(page, 'Go to File...');
        await input.fill(name);
      } else {
        await runCommand(page, 'File: Open File...');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        // The dialog fills in its folder after it opens: type the path once its listing is there.
        await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 15_000 });
        await input.fill(join(sandbox.workspace, name));
      }
      try {
        await file.waitFor({ state: 'visible', timeout: 10_000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
        log(`language: ${attempt <= 2 ? 'Go to File' : 'Open File'} does not list ${name} yet (attempt ${attempt}); retrying`);
        await page.keyboard.press('Escape');
        await page.waitForTimeout(2_000);
      }
    }
    await file.click();
    await editor.locator('.view-lines', { hasText: text }).waitFor({ timeout: 15_000 });
    await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 15_000 });
    log(`language: opened ${name} in the editor`);
  };

  /** Go to Line (Ctrl+G), then End: the cursor at the end of that line. */
  const goToLineEnd = async (line) => {
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+G');
    await input.waitFor({ state: 'visible', timeout: 5_000 });
    await input.fill(`:${line}`);
    await page.keyboard.press('Enter');
    await until(`the cursor on line ${line} after Go to Line`, async () => (await position.textContent())?.startsWith(`Ln ${line},`));
    await page.keyboard.press('End');
  };

  /**
   * Hovers the mouse over the editor's token `token` (its span in the rendered lines) until a hover with
   * `expected` shows; falls back to "Show or Focus Hover" with the cursor there.
   */
  const hover = page.locator('.monaco-hover:not(.hidden)').filter({ hasText: /\S/ });
  const hoverOver = async (token, expected, what) => {
    const span = editor.locator('.view-lines .view-line span span', { hasText: token }).first();
    await span.waitFor({ state: 'visible', timeout: 15_000 });
    const shown = async () => {
      for (const h of await hover.all()) {
        const text = await h.innerText().catch(() => '');
        if ((await h.isVisible()) && expected.every((e) => squash(text).includes(squash(e)))) return text;
      }
      return undefined;
    };
    for (let attempt = 1; ; attempt++) {
      // Away first (a hover already shown elsewhere closes), then onto the token.
      await page.mouse.move(5, 400);
      await page.waitForTimeout(300);
      const box = await span.boundingBox();
      check(box, `the token "${token}" has no box in the editor`);
      if (attempt <= 3) {
        await page.mouse.move(box.x + box.width / 2 - 2, box.y + box.height / 2);
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 3 });
      } else {
        // The keyboard's way: the cursor inside the token, "Show or Focus Hover".
        await span.click();
        await runCommand(page, 'Show or Focus Hover');
      }
      try {
        return await until(`${what} (attempt ${attempt})`, shown, {
          ms: 10_000,
          seen: async () => JSON.stringify(await hover.allInnerTexts().catch(() => [])),
        });
      } catch (error) {
        if (attempt === 5) throw error;
        log(`language: no hover with ${expected.map((e) => `"${e}"`).join(' and ')} yet (attempt ${attempt}); retrying`);
      }
    }
  };

  // 1. The projection: CodeLenses above it, completions of event.data in its Debited handler.
  await openFile(PROJECTION, TYPE_AFTER);
  const lenses = editor.locator('.codelens-decoration');
  const lensTitles = await until(
    'the CodeLenses "Replay", "Debug" and "Find first broken invariant" above the projection',
    async () => {
      const text = (await lenses.allInnerTexts()).join(' | ');
      return ['Replay', 'Debug', 'Find first broken invariant'].every((t) => text.includes(t)) && text;
    },
    { ms: 30_000, seen: async () => JSON.stringify(await lenses.allInnerTexts()) },
  );
  log(`language: the projection's CodeLenses: ${lensTitles}`);

  const typedLine = lineOf(PROJECTION_SOURCE, TYPE_AFTER) + 1;
  await goToLineEnd(typedLine - 1);
  await page.keyboard.press('Enter');
  await page.keyboard.type(TYPED, { delay: 30 });
  await editor.locator('.view-lines', { hasText: TYPED }).waitFor({ timeout: 5_000 });
  const suggest = page.locator('.editor-widget.suggest-widget');
  const rows = suggest.locator('.monaco-list-row');
  /** The list's rows as rendered (it renders those in view): label, and whether a field's (the server's kind). */
  const shownRows = () =>
    rows.evaluateAll((els) =>
      els.map((el) => ({
        label: el.querySelector('.label-name')?.textContent?.trim() ?? '',
        field: !!el.querySelector('.codicon-symbol-field'),
        focused: el.classList.contains('focused'),
      })),
    );
  const focusedRow = async () => (await shownRows()).find((r) => r.focused);
  const describe = (list) => list.map((r) => `${r.label}${r.field ? ' (field)' : ''}${r.focused ? ' *' : ''}`).join(', ');
  // The list holds the server's fields (a field icon), maybe below other providers' words (in a plain
  // JavaScript file TypeScript offers every word of the file, and VS Code ranks those first): the arrow keys
  // walk it to the server's `amount`. The `.` may have opened the list already (a trigger character);
  // Ctrl+Space asks for it when not (on an open list it toggles the details instead).
  let listed;
  for (let attempt = 1; ; attempt++) {
    try {
      if (!(await suggest.isVisible())) await page.keyboard.press('Control+Space');
      await until('the suggest widget with rows', async () => (await suggest.isVisible()) && (await rows.count()) > 0);
      const size = Number(await rows.first().getAttribute('aria-setsize'));
      for (let i = 0; i <= size; i++) {
        const row = await focusedRow();
        if (row?.label === 'amount' && row.field) break;
        await page.keyboard.press('ArrowDown');
        await page.waitForTimeout(50);
      }
      // transaction_id next to it, in view with it: down to it and back.
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowUp');
      listed = await until(
        'amount (a field, selected) and transaction_id (a field) in the suggest widget',
        async () => {
          const shown = await shownRows();
          const ok =
            shown.some((r) => r.label === 'amount' && r.field && r.focused) && shown.some((r) => r.label === 'transaction_id' && r.field);
          return ok && shown;
        },
        { ms: 3_000, seen: async () => `${describe(await shownRows())} (of ${size} rows)` },
      );
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      log(`language: no completion of the Debited fields yet (attempt ${attempt}): ${error.message}; retrying`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1_000);
    }
  }
  const selected = suggest.locator('.monaco-list-row.focused .label-name');
  // (an overlay widget of its own, beside the list, not inside the suggest widget)
  const details = page.locator('.suggest-details-container .suggest-details').first();
  const detailsShown = async () => (await details.isVisible()) && /in\d+of\d+/.test(squash(await details.innerText()));
  // Shown by itself when VS Code remembers it open; else Ctrl+Space (on an open list) toggles it.
  if (!(await until('the details pane', detailsShown, { ms: 3_000 }).catch(() => false))) {
    await page.keyboard.press('Control+Space');
    await until('the suggest widget’s details pane after Ctrl+Space', detailsShown, {
      seen: async () => JSON.stringify(await details.innerText().catch(() => '(none)')),
    });
  }
  // Its first layout can come out short of its text (the samples cut off below a scrollbar): selecting the
  // next item and back lays it out again.
  const clipped = () =>
    details.evaluate((el) => {
      const frame = el.querySelector('.monaco-scrollable-element');
      const body = el.querySelector('.body');
      return !frame || !body || body.scrollHeight > frame.clientHeight + 1;
    });
  for (let attempt = 1; await clipped(); attempt++) {
    check(attempt <= 3, 'the details pane shows all its text (it stays cut off after selecting again)');
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(200);
    await page.keyboard.press('ArrowUp');
    await until('the details of amount again', async () => (await selected.textContent())?.trim() === 'amount' && (await detailsShown()));
    await page.waitForTimeout(300);
  }
  // The pointer out of the way (over the list it highlights a row).
  await page.mouse.move(900, 700);
  const detailText = (await details.innerText()).trim();
  log(
    `language: the suggestions after "${TYPED}" (rows in view): ${describe(listed)}; ` +
      `"${(await selected.textContent())?.trim()}" selected, its details: ${JSON.stringify(detailText.slice(0, 160))}`,
  );
  await page.waitForTimeout(300);
  await shoot('projection-completion.png');

  // 2. Escape; the hover of a handler's key: its type, how many events the demo store has of it.
  await page.keyboard.press('Escape');
  await suggest.waitFor({ state: 'hidden', timeout: 5_000 });
  const projectionHover = await hoverOver(
    /^Credited$/,
    ['BankAccount.Credited', 'events', 'Demo bank'],
    'the hover of the Credited handler',
  );
  log(`language: the hover of "Credited": ${JSON.stringify(projectionHover.trim().slice(0, 200))}`);
  await page.waitForTimeout(300);
  await shoot('projection-hover.png');
  await page.mouse.move(5, 400);
  // The typed line goes again (Ctrl+Shift+K deletes the line), and the file is saved as written.
  await goToLineEnd(typedLine);
  await page.keyboard.press('Control+Shift+K');
  await editor.locator('.view-lines', { hasText: TYPED }).waitFor({ state: 'detached', timeout: 10_000 });
  await page.keyboard.press('Control+S');

  // 3. A .events file with a misspelt type: a squiggle, a hover that says "did you mean" with a quick fix,
  // and the Problems panel.
  await runCommand(page, 'View: Close All Editors');
  await openFile(EVENTS, 'Debitted');
  const squiggle = editor.locator('.squiggly-warning');
  await squiggle.first().waitFor({ state: 'attached', timeout: 30_000 });
  await runCommand(page, 'Focus Problems (Errors, Warnings, Infos)');
  const problems = page.locator('.markers-panel .monaco-list-row');
  await until('the warning in the Problems panel', async () => (await problems.allInnerTexts()).some((t) => t.includes(WARNING)), {
    ms: 30_000,
    seen: async () => JSON.stringify(await problems.allInnerTexts()),
  });
  log(`language: the Problems panel lists: ${(await problems.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ')).join(' | ')}`);
  const warningHover = await hoverOver(/Debitted/, [WARNING, 'Quick Fix'], `the hover of "${MISSPELT}" with the warning and its quick fix`);
  log(`language: the hover of "${MISSPELT}": ${JSON.stringify(warningHover.trim().slice(0, 200))}`);
  await page.waitForTimeout(300);
  await shoot('events-diagnostics.png');

  // Nothing left open.
  await page.mouse.move(5, 400);
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'View: Hide Panel');
  await until('no editor open', async () => (await page.locator('.tabs-container .tab').count()) === 0);
  log('language: closed the editors and the panel');
}
