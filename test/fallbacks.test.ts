// An install without native parts (a platform with no package of its own): assembled from dist/
// and the JavaScript of esbuild and better-sqlite3, without esbuild's binary or the SQLite addon.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkWithoutNativeParts, Install } from './helpers/install';

describe('an install without native parts (no esbuild binary, no SQLite addon)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eventscope-bare-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('opens stores with node:sqlite, replays JavaScript projections without esbuild, refuses TypeScript clearly, and loads the extension', () => {
    const install = Install.assemble(join(dir, 'extension'));
    mkdirSync(join(dir, 'work'));
    checkWithoutNativeParts(install, join(dir, 'work'));
  });
});
