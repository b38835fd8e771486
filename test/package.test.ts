// The .vsix packages of `npm run package:all` (one per Marketplace target): each carries its own
// platform's esbuild binary and SQLite addon and no other native file, says its TargetPlatform, and
// stays small; this machine's package really runs, and still works once its native parts are gone.
// `npm run test:package` builds the packages and runs this (plain `mocha` leaves it out: .mocharc.json).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_TARGETS, TARGETS, currentTarget, vsixPath } from '../scripts/platforms.mjs';
import { checkWithoutNativeParts, DEMO_FAILURE, Install, REPO } from './helpers/install';
import { readZip, extractZip, type ZipEntry } from './helpers/zip';

interface Target {
  esbuild: string;
  binary: string;
  sqlite: string;
  format: 'elf' | 'macho' | 'pe';
  machine: 'x64' | 'arm64';
}

const targets = ALL_TARGETS as string[];
const table = TARGETS as Record<string, Target>;
const MAX_BYTES = 15 * 1024 * 1024;
const packageOf = (target: string) => join(REPO, vsixPath(target) as string);
const rootPackage = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; icon: string };
const esbuildPackage = JSON.parse(readFileSync(join(REPO, 'node_modules', 'esbuild', 'package.json'), 'utf8')) as {
  version: string;
  'esbuild.binaryHashes': Record<string, string>;
};

/** What a file's first bytes say it is: an executable or library of some OS and CPU, or nothing native. */
function nativeKind(data: Buffer): { format: string; machine: string } | undefined {
  if (data.length >= 20 && data.readUInt32BE(0) === 0x7f454c46) {
    const machine = data.readUInt16LE(18);
    return { format: 'elf', machine: machine === 0x3e ? 'x64' : machine === 0xb7 ? 'arm64' : `0x${machine.toString(16)}` };
  }
  if (data.length >= 8 && data.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = data.readUInt32LE(4);
    return { format: 'macho', machine: cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : `0x${cpu.toString(16)}` };
  }
  if (data.length >= 8 && (data.readUInt32BE(0) === 0xcafebabe || data.readUInt32LE(0) === 0xfeedface))
    return { format: 'macho', machine: 'fat or 32-bit' };
  if (data.length >= 64 && data.toString('latin1', 0, 2) === 'MZ') {
    const pe = data.readUInt32LE(0x3c);
    if (data.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const machine = data.readUInt16LE(pe + 4);
      return { format: 'pe', machine: machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : `0x${machine.toString(16)}` };
    }
  }
  return undefined;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Fresh packages: all there, and newer than dist/ (so built from it). */
function packagesAreFresh(): boolean {
  const dist = join(REPO, 'dist', 'extension.js');
  return (
    existsSync(dist) &&
    targets.every((target) => existsSync(packageOf(target)) && statSync(packageOf(target)).mtimeMs >= statSync(dist).mtimeMs)
  );
}

describe('packages: one .vsix per platform', function () {
  this.timeout(180_000);
  before(() => {
    assert.ok(packagesAreFresh(), 'the packages are missing or older than dist/: run "npm run test:package" (it builds them first)');
  });

  for (const target of targets) {
    it(`${target}: its own esbuild binary and SQLite addon, nothing else native, TargetPlatform ${target}, under 15 MB`, () => {
      const file = packageOf(target);
      assert.ok(existsSync(file), `${file} is missing: run "npm run package:all"`);
      const size = statSync(file).size;
      assert.ok(size < MAX_BYTES, `${file} is ${(size / 1024 / 1024).toFixed(1)} MB`);
      const { esbuild, binary, sqlite, format, machine } = table[target];
      const entries = new Map<string, ZipEntry>(readZip(readFileSync(file)).map((entry) => [entry.name, entry]));

      // Exactly two native files, for this OS and CPU.
      const esbuildBinary = `extension/node_modules/@esbuild/${esbuild}/${binary}`;
      const addon = `extension/node_modules/better-sqlite3/prebuilds/${sqlite}.node`;
      const native = [...entries.values()].filter(
        (entry) => nativeKind(entry.data()) || /\.(node|exe|dll|so|dylib)$|\/bin\/esbuild$/.test(entry.name),
      );
      assert.deepEqual(native.map((entry) => entry.name).sort(), [esbuildBinary, addon].sort());
      for (const entry of native) assert.deepEqual(nativeKind(entry.data()), { format, machine }, entry.name);

      // The binaries are the ones esbuild and better-sqlite3 publish.
      const esbuildData = entries.get(esbuildBinary)!.data();
      assert.equal(sha256(esbuildData), esbuildPackage['esbuild.binaryHashes'][`@esbuild/${esbuild}/${binary}`]);
      const platformPackage = JSON.parse(entries.get(`extension/node_modules/@esbuild/${esbuild}/package.json`)!.data().toString('utf8'));
      assert.deepEqual([platformPackage.name, platformPackage.version], [`@esbuild/${esbuild}`, esbuildPackage.version]);
      assert.equal(
        sha256(entries.get(addon)!.data()),
        sha256(readFileSync(join(REPO, 'node_modules', 'better-sqlite3', 'prebuilds', `${sqlite}.node`))),
      );
      // Alpine's addon is the musl build, the other Linux ones glibc's (better-sqlite3 picks by the libc it runs on).
      if (format === 'elf') assert.equal(entries.get(addon)!.data().includes('libc.musl'), target.startsWith('alpine'), addon);
      if (format !== 'pe') assert.equal(entries.get(esbuildBinary)!.mode & 0o111, 0o111, `${esbuildBinary} is executable`);

      // The JavaScript that loads them, and what the extension needs.
      for (const name of [
        'extension/package.json',
        'extension/dist/extension.js',
        'extension/dist/projection-worker.js',
        'extension/dist/python-bridge.js',
        'extension/python/eventscope_runner.py',
        'extension/examples/bankapp/bankapp/domainmodel.py',
        'extension/examples/bankapp/balances.py',
        'extension/dist/debugAdapter.js',
        'extension/dist/webview/replay.js',
        'extension/node_modules/esbuild/lib/main.js',
        'extension/node_modules/better-sqlite3/lib/binding.js',
        `extension/${rootPackage.icon}`,
      ]) {
        assert.ok(entries.has(name), `${name} is in the package`);
      }
      const icon = entries.get(`extension/${rootPackage.icon}`)!.data();
      assert.deepEqual(
        [icon.toString('latin1', 1, 4), icon.readUInt32BE(16), icon.readUInt32BE(20)],
        ['PNG', 128, 128],
        'a 128x128 PNG icon',
      );
      const manifest = entries.get('extension.vsixmanifest')!.data().toString('utf8');
      assert.match(manifest, new RegExp(`<Identity [^>]*Version="${rootPackage.version}"[^>]*TargetPlatform="${target}"`));
    });
  }

  it("this machine's package runs: the store opens with its SQLite addon, TypeScript compiles with its esbuild; without them it falls back", function () {
    const target = currentTarget() as string | undefined;
    if (!target || !targets.includes(target)) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'eventscope-vsix-'));
    try {
      // What VS Code does: unzip into the extensions folder (a temp folder, no node_modules above it).
      extractZip(readFileSync(packageOf(target!)), join(dir, 'installed'));
      const install = new Install(join(dir, 'installed', 'extension'));
      const work = join(dir, 'work');
      mkdirSync(work);
      const store = join(work, 'demo.sqlite');
      install.ok(['demo', store]);
      assert.match(install.ok(['info', store]), /opened read-only with better-sqlite3/);
      writeFileSync(join(work, 'money.ts'), 'export const cents = (amount: string): number => Math.round(Number(amount) * 100);\n');
      writeFileSync(
        join(work, 'p.ts'),
        "import { cents } from './money';\ninterface S { total: number }\nexport default { init: (): S => ({ total: 0 }), when: { Credited: (s: S, e: { data: { amount: string } }) => { s.total += cents(e.data.amount); } } };\n",
      );
      assert.match(install.ok(['replay', store, '--projection', join(work, 'p.ts')]), /"total": \d+/);
      assert.match(install.ok(['replay', store, '--projection', join(install.dir, 'examples', 'bank-balances.js')]), DEMO_FAILURE);

      install.removeEsbuildBinary();
      install.removeSqliteAddon();
      checkWithoutNativeParts(install, work);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
