import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { cycles, ROOT, sourceFiles, webviewBundled } from '../scripts/imports.mjs';

describe('layers: what may import what', function () {
  this.timeout(60_000);

  it('has no import cycles in src/ and webview/src (type-only imports count)', () => {
    const files = [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'webview', 'src'))];
    assert.ok(files.length > 50, `read ${files.length} files`);
    assert.deepEqual(cycles(files), []);
  });

  it('finds a cycle when there is one, type-only imports included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventscope-layers-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = B;\n");
      writeFileSync(join(dir, 'b.ts'), "import { c } from './c';\nexport type B = number;\nexport const b = c;\n");
      writeFileSync(join(dir, 'c.ts'), "export { a } from './a.ts';\nexport const c = 1;\n");
      writeFileSync(join(dir, 'd.ts'), "import { b } from './b';\nexport const d = b;\n");
      const found = cycles(sourceFiles(dir));
      assert.equal(found.length, 1);
      assert.deepEqual(
        found[0].map((f: string) => f.split('/').at(-1)),
        ['a.ts', 'b.ts', 'c.ts'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows which core files the replay panel bundles', () => {
    const bundled: string[] = webviewBundled();
    for (const f of ['src/shared/replayProtocol.ts', 'src/core/events.ts', 'src/core/json/exact.ts', 'webview/src/main.ts']) {
      assert.ok(bundled.includes(f), `${f} is bundled`);
    }
    assert.ok(!bundled.includes('src/core/projection/session.ts'));
  });

  it('the linter refuses vscode in the core, the CLI and shared code, and Node in what the panel bundles', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const lint = async (file: string, code: string) => {
      const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
      return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
    };
    const vscode = "import * as vscode from 'vscode';\nexport const v = vscode;\n";
    for (const file of ['src/core/x.ts', 'src/cli/x.ts', 'src/mcp/x.ts', 'src/shared/x.ts']) {
      assert.match((await lint(file, vscode)).join(), /only src\/extension imports it/, file);
    }
    assert.deepEqual(await lint('src/extension/x.ts', vscode), []);
    const node = "import { readFileSync } from 'node:fs';\nimport { join } from 'path';\nexport const x = [readFileSync, join];\n";
    for (const file of ['src/shared/x.ts', 'src/core/events.ts', 'src/core/json/exact.ts', 'webview/src/app.ts']) {
      assert.equal((await lint(file, node)).filter((m) => /bundled for the replay panel/.test(m)).length, 2, file);
    }
    assert.deepEqual(await lint('src/core/stores/open.ts', node), []);
  });
});
