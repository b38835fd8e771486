// The debugger, as a person uses it (part of the UI check, run by ui.mjs after the replay panel): the
// demo projection opened in the editor, a line breakpoint set with Go to Line + F9 in its Debited
// handler, a launch.json (an `eventscope` launch of the demo connection, written into the workspace)
// started with F5, and what the Run and Debug view and the editor then show: the stopped line
// highlighted, the handler's frame and the event's frame in the Call Stack, scopes and values in
// Variables. Then Step Back from the toolbar moves the event frame one step back, and Shift+F5 ends
// the session. Screenshot: debug-replay.png.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, log, waitUntil } from './common.mjs';

const PROJECTION = 'bank-balances.js';
const CONFIG_NAME = 'Debug demo replay';
/** The line of the Debited handler the breakpoint goes on. */
const BREAK_AT = 'state.balances[event.streamId] -= cents(event.data.amount);';
/** The demo store's first Debited (Fatima Zahra's, at position 39 of 330): a run from the start stops there first. */
const FIRST_DEBITED = { step: 39, steps: 330, stream: '28da6e6a' };
/** The event frame's name: `Debited #4 @ 28da6e6a… (Fatima Zahra), step 39 of 330` (src/debug/adapter.ts). */
const EVENT_FRAME = /^(\S+) #(\d+) @ ([0-9a-f]{8})….*, step (\d+) of (\d+)$/;

function check(condition, message) {
  if (!condition) throw new Error(`debugger: ${message}`);
}

const until = (what, probe, options) => waitUntil('debugger', what, probe, options);

/** The gutter's line numbers of the editor lines that elements matching `selector` (in `editor`) sit on. */
function linesOf(editor, selector) {
  return editor.evaluate((root, selector) => {
    const numbers = [...root.querySelectorAll('.margin-view-overlays .line-numbers')].map((el) => ({
      text: el.textContent.trim(),
      rect: el.getBoundingClientRect(),
    }));
    return [...root.querySelectorAll(selector)].map((el) => {
      const rect = el.getBoundingClientRect();
      const middle = rect.top + rect.height / 2;
      return numbers.find((n) => n.rect.top <= middle && middle < n.rect.bottom)?.text ?? null;
    });
  }, selector);
}

/** The Call Stack view's frames as shown: name, file, line, and whether it is a label (the event's frame). */
function callStack(page) {
  return page.locator('.debug-call-stack .stack-frame').evaluateAll((frames) =>
    frames.map((frame) => ({
      name: frame.querySelector('.label')?.textContent?.trim() ?? '',
      file: frame.querySelector('.file-name')?.textContent?.trim() ?? '',
      line: frame.querySelector('.line-number')?.textContent?.trim() ?? '',
      label: frame.classList.contains('label'),
    })),
  );
}

/** The event's frame of the Call Stack, parsed, or undefined while there is none. */
async function eventFrame(page) {
  for (const frame of await callStack(page)) {
    const match = EVENT_FRAME.exec(frame.name);
    if (match) return { text: frame.name, type: match[1], stream: match[3], step: Number(match[4]), steps: Number(match[5]) };
  }
  return undefined;
}

/** The Variables view's rows as shown: a scope's name, or a variable's name and value; expanded or not; depth. */
function variables(page) {
  return page.locator('.debug-variables .monaco-list-row').evaluateAll((rows) =>
    rows.map((row) => ({
      scope: row.querySelector('.scope')?.textContent?.trim() || undefined,
      // (shown as `name = value` or `name: value`, depending on the VS Code version)
      name:
        row
          .querySelector('.expression .name')
          ?.textContent?.replace(/\s*[:=]\s*$/, '')
          .trim() || undefined,
      value:
        row
          .querySelector('.expression .value')
          ?.textContent?.replace(/^\s*[:=]\s*/, '')
          .trim() || undefined,
      expanded: row.getAttribute('aria-expanded') ?? undefined,
      level: Number(row.getAttribute('aria-level')),
    })),
  );
}

/** Variables rows, for a failure message. */
const describeRows = (rows) =>
  rows
    .map(
      (r) => `${'  '.repeat(Math.max(0, r.level - 1))}${r.scope ?? `${r.name} = ${r.value ?? ''}`}${r.expanded ? ` [${r.expanded}]` : ''}`,
    )
    .join('; ');

export async function runDebugUi({ page, sandbox, runCommand, shoot }) {
  // The projection in the workspace (as the replay leg left it), and a launch configuration beside it.
  const projectionPath = join(sandbox.workspace, PROJECTION);
  copyFileSync(join(REPO, 'examples', PROJECTION), projectionPath);
  const source = readFileSync(projectionPath, 'utf8').split('\n');
  const line = source.findIndex((text) => text.includes(BREAK_AT)) + 1;
  check(line > 0, `examples/${PROJECTION} has no line "${BREAK_AT}"`);
  mkdirSync(join(sandbox.workspace, '.vscode'), { recursive: true });
  const launch = {
    version: '0.2.0',
    configurations: [
      {
        type: 'eventscope',
        request: 'launch',
        name: CONFIG_NAME,
        // The connection "Open Demo Store" made: the extension resolves its name to the store's file.
        store: 'Demo bank',
        all: true,
        projection: `\${workspaceFolder}/${PROJECTION}`,
      },
    ],
  };
  writeFileSync(join(sandbox.workspace, '.vscode', 'launch.json'), JSON.stringify(launch, null, 2) + '\n');

  // Open the projection with Go to File, the only editor (the replay panel closes; the editor gets the room).
  await runCommand(page, 'View: Close All Editors');
  if (await page.locator('.part.auxiliarybar').isVisible()) await runCommand(page, 'View: Hide Secondary Side Bar');
  await runCommand(page, 'Notifications: Clear All Notifications');
  await runCommand(page, 'Go to File...');
  const input = page.locator('.quick-input-widget input');
  await input.fill(PROJECTION);
  const file = page.locator('.quick-input-list .monaco-list-row', { hasText: PROJECTION }).first();
  await file.waitFor({ state: 'visible', timeout: 15_000 });
  await file.click();
  const editor = page.locator('.part.editor .editor-group-container.active .monaco-editor').first();
  await editor.locator('.view-lines', { hasText: 'Debited: (state, event)' }).waitFor({ timeout: 15_000 });
  log(`debugger: opened ${PROJECTION} in the editor`);

  // Go to Line (Ctrl+G), F9: a breakpoint in the gutter at that line.
  await editor.locator('.view-lines').click();
  await page.keyboard.press('Control+G');
  await input.waitFor({ state: 'visible', timeout: 5_000 });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  const position = page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first();
  await until(`the cursor on line ${line} after Go to Line (the status bar's "Ln ${line}, Col …")`, async () =>
    (await position.textContent())?.startsWith(`Ln ${line},`),
  );
  await page.keyboard.press('F9');
  const breakpoints = await until(`a breakpoint in the gutter after F9 (line ${line})`, async () => {
    const lines = await linesOf(editor, '.codicon-debug-breakpoint, .codicon-debug-breakpoint-unverified');
    return lines.length ? lines : undefined;
  });
  check(breakpoints.length === 1 && breakpoints[0] === String(line), `one breakpoint, at line ${line}: the gutter has ${breakpoints}`);
  log(`debugger: F9 set a breakpoint at line ${line} (${BREAK_AT})`);

  // Run and Debug: the launch configuration is offered; F5 starts it.
  await runCommand(page, 'View: Show Run and Debug');
  const chosen = page.locator('.start-debug-action-item-label');
  const label = async () => (await chosen.textContent())?.trim();
  const selected = `"${CONFIG_NAME}" (from .vscode/launch.json) selected in the Run and Debug view`;
  await until(selected, async () => (await label()) === CONFIG_NAME, { seen: label });
  await editor.locator('.view-lines').click();
  await page.keyboard.press('F5');
  const toolbar = page.locator('.debug-toolbar');
  await toolbar.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
    throw new Error('debugger: no debug toolbar within 30 s of F5');
  });
  log(`debugger: F5 started "${CONFIG_NAME}"; the debug toolbar is shown`);

  // Stopped at the breakpoint: the event's frame names the first Debited.
  // What the Call Stack shows: its header's state ("Running", "Paused on breakpoint") and its frames.
  const header = page.locator('.pane-header', { hasText: 'Call Stack' }).first();
  const repl = page.locator('.repl .monaco-list-rows').first();
  const stack = async () =>
    `Call Stack ${JSON.stringify((await header.textContent())?.trim())}: ${JSON.stringify(await callStack(page))}; ` +
    `Debug Console: ${JSON.stringify((await repl.innerText({ timeout: 1_000 }).catch(() => '')).trim())}`;
  const stopped = await until(
    `the Call Stack to show the event frame of step ${FIRST_DEBITED.step} (the first Debited)`,
    async () => {
      const frame = await eventFrame(page);
      return frame?.step === FIRST_DEBITED.step && frame;
    },
    { ms: 60_000, seen: stack },
  );
  const frames = await callStack(page);
  check(stopped.type === 'Debited', `the event frame names a Debited: ${stopped.text}`);
  check(
    stopped.stream === FIRST_DEBITED.stream && stopped.steps === FIRST_DEBITED.steps,
    `the event frame is ${FIRST_DEBITED.stream}…'s step ${FIRST_DEBITED.step} of ${FIRST_DEBITED.steps}: ${stopped.text}`,
  );
  const handler = frames.find((f) => !f.label && f.name === 'Debited' && f.file === PROJECTION);
  check(handler, `a frame of the Debited handler in ${PROJECTION} in the Call Stack: ${JSON.stringify(frames)}`);
  check(frames[0] === handler, `the handler's frame is the top one: ${JSON.stringify(frames)}`);
  // Paused inside the handler: its frame is at the breakpoint's line.
  const handlerLine = Number(handler.line.split(':')[0]);
  check(handlerLine === line, `the handler's frame is at the breakpoint's line ${line}: ${JSON.stringify(handler)}`);
  check(frames.at(-1).label && EVENT_FRAME.test(frames.at(-1).name), `the event's frame is the bottom one: ${JSON.stringify(frames)}`);
  log(`debugger: stopped; Call Stack: ${frames.map((f) => (f.file ? `${f.name} (${f.file}:${f.line})` : f.name)).join(' / ')}`);

  // The editor highlights the stopped line.
  const highlighted = await until(`the editor to highlight the stopped line ${handlerLine}`, async () => {
    const lines = await linesOf(editor, '.debug-top-stack-frame-line');
    return lines.length ? lines : undefined;
  });
  check(highlighted.length === 1 && highlighted[0] === String(handlerLine), `the highlighted line is ${handlerLine}: ${highlighted}`);
  log(`debugger: the editor highlights line ${handlerLine} (the breakpoint's)`);

  // Variables: scopes, and the stopped event's stream id among the values (an `event` local, or the Event scope).
  // (an expanded scope's variables come after its row: wait for both)
  const rows = await until(
    'scopes and a variable with a value in the Variables view',
    async () => {
      const all = await variables(page);
      return all.some((r) => r.scope) && all.some((r) => r.name && r.value) && all;
    },
    { seen: async () => describeRows(await variables(page)) },
  );
  const scopes = rows.filter((r) => r.scope).map((r) => r.scope);
  check(
    scopes[0] === 'Local' && rows.some((r) => r.name === 'event'),
    `the handler's Local scope first, with its event: ${describeRows(rows)}`,
  );
  // Expand `event` where the handler's locals show (paused inside it), else the Event scope.
  const row = (text) =>
    page.locator('.debug-variables .monaco-list-row').filter({ has: page.locator('.scope, .expression .name', { hasText: text }) });
  const local = rows.find((r) => r.name === 'event');
  const eventRow = local ? row(/^\s*event\s*[:=]?\s*$/).first() : scopes.includes('Event') ? row(/^\s*Event\s*$/).first() : undefined;
  check(eventRow, `an "event" variable or an "Event" scope in Variables: ${describeRows(rows)}`);
  if ((await eventRow.getAttribute('aria-expanded')) !== 'true') await eventRow.click();
  const streamId = await until(
    `the stopped event's streamId (${FIRST_DEBITED.stream}…) in Variables after expanding it`,
    async () => (await variables(page)).find((r) => r.name === 'streamId' && r.value?.includes(FIRST_DEBITED.stream)),
    { seen: async () => describeRows(await variables(page)) },
  );
  log(
    `debugger: Variables has the scopes ${scopes.join(', ')}; ${local ? 'the event local' : 'the Event scope'} shows streamId ${streamId.value}`,
  );

  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.keyboard.press('Escape');
  await page.waitForTimeout(300);
  await shoot('debug-replay.png');

  // Step Back (the toolbar's button): the event frame shows the step before.
  const stepBack = toolbar.locator('.action-label[aria-label^="Step Back"]');
  await stepBack.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {
    throw new Error('debugger: no "Step Back" button on the debug toolbar');
  });
  await stepBack.click();
  const back = await until(
    `the event frame of step ${FIRST_DEBITED.step - 1} after Step Back`,
    async () => {
      const frame = await eventFrame(page);
      return frame?.step === FIRST_DEBITED.step - 1 && frame;
    },
    { ms: 30_000, seen: stack },
  );
  check(back.steps === FIRST_DEBITED.steps, `the step before: ${back.text}`);
  log(`debugger: Step Back shows ${back.text}`);

  // Shift+F5 stops the session: no toolbar, no frames.
  await editor.locator('.view-lines').click();
  await page.keyboard.press('Shift+F5');
  await toolbar.waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => {
    throw new Error('debugger: the debug toolbar is still shown 15 s after Shift+F5');
  });
  await until('the Call Stack to empty after Shift+F5', async () => (await page.locator('.debug-call-stack .stack-frame').count()) === 0);
  await until('the stopped-line highlight to go', async () => (await editor.locator('.debug-top-stack-frame-line').count()) === 0);
  log('debugger: Shift+F5 ended the session');
}
