/**
 * Entry point of the extension-host tests (`extensionTestsPath`): VS Code loads the compiled
 * dist/test/vscode/index.js inside a real extension host and awaits `run()`. Built and driven by
 * scripts/vscode/run.mjs (`npm run test:vscode`); not part of the plain-Node `npm test`.
 */

import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

/**
 * Starts every line of test output that the runner prints. The extension host's console reaches the
 * runner through the workbench's automation log, mixed with the workbench's own log lines and with
 * `console.log` arguments joined by commas, so the reporter's output is formatted here and marked.
 * (The extension host's `console` methods cannot be replaced: its own `console.log` calls only show
 * with `run.mjs --verbose`, and always in .cache/vscode/logs/workbench.log.)
 */
export const OUTPUT_MARK = '\u001e';

/** Compiled tests (`*.test.js`) beside this file, in subfolders too. */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return testFiles(path);
      return entry.name.endsWith('.test.js') ? [path] : [];
    })
    .sort();
}

/** Routes mocha's reporter output (it logs through Base.consoleLog) to the runner; returns the undo. */
function markOutput(): () => void {
  const reporterLog = Mocha.reporters.Base.consoleLog;
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => reporterLog(OUTPUT_MARK + format(...args));
  return () => {
    Mocha.reporters.Base.consoleLog = reporterLog;
  };
}

/** Output for the runner from outside the reporter. */
function print(...args: unknown[]): void {
  Mocha.reporters.Base.consoleLog(OUTPUT_MARK + format(...args));
}

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    // No terminal at the other end: no colours.
    color: false,
    timeout: 20_000,
    grep: process.env.EVENTSCOPE_VSCODE_GREP || undefined,
  });
  const files = testFiles(__dirname);
  for (const file of files) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    if (files.length === 0) {
      print(`No *.test.js files under ${__dirname}`);
      return reject(new Error(`no *.test.js files under ${__dirname}`));
    }
    const unmark = markOutput();
    try {
      const runner = mocha.run((failures) => {
        unmark();
        // A second channel besides the exit code: scripts/vscode/run.mjs checks the counts.
        const resultsFile = process.env.EVENTSCOPE_VSCODE_RESULTS;
        if (resultsFile) writeFileSync(resultsFile, JSON.stringify({ ...runner.stats, failures }) + '\n');
        if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
        else resolve();
      });
    } catch (error) {
      // A test file that throws while loading (mocha.run requires the files synchronously).
      unmark();
      print(`Loading the tests failed: ${error instanceof Error ? error.stack : String(error)}`);
      reject(error);
    }
  });
}
