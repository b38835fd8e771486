// The .vsix packages of `npm run package:all` (one per Marketplace target): each carries its own
// platform's esbuild binary, SQLite addon and KurrentDB reader (none on win32-arm64) and no other
// native file, says its TargetPlatform, and stays small; this machine's package really runs (the
// KurrentDB client loads its reader too), and still works once its esbuild and SQLite parts are gone.
// `npm run test:package` builds the packages and runs this (plain `mocha` leaves it out: .mocharc.json).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_TARGETS, TARGETS, currentTarget, nativeKind, vsixPath } from '../scripts/platforms.mjs';
import { checkWithoutNativeParts, DEMO_FAILURE, Install, REPO } from './helpers/install';
import { readZip, extractZip, type ZipEntry } from './helpers/zip';

interface Target {
  esbuild: string;
  binary: string;
  sqlite: string;
  kurrent: string | undefined;
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
const bridgePackage = JSON.parse(readFileSync(join(REPO, 'node_modules', '@kurrent', 'bridge', 'package.json'), 'utf8')) as {
  optionalDependencies: Record<string, string>;
};

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
    const what = table[target].kurrent ? 'esbuild binary, SQLite addon and KurrentDB reader' : 'esbuild binary and SQLite addon';
    it(`${target}: its own ${what}, nothing else native, TargetPlatform ${target}, under 15 MB`, () => {
      const file = packageOf(target);
      assert.ok(existsSync(file), `${file} is missing: run "npm run package:all"`);
      const size = statSync(file).size;
      assert.ok(size < MAX_BYTES, `${file} is ${(size / 1024 / 1024).toFixed(1)} MB`);
      const { esbuild, binary, sqlite, kurrent, format, machine } = table[target];
      const entries = new Map<string, ZipEntry>(readZip(readFileSync(file)).map((entry) => [entry.name, entry]));

      // Exactly these native files (no KurrentDB reader where Kurrent publishes none), for this OS and CPU.
      const esbuildBinary = `extension/node_modules/@esbuild/${esbuild}/${binary}`;
      const addon = `extension/node_modules/better-sqlite3/prebuilds/${sqlite}.node`;
      const bridge = kurrent && `extension/node_modules/@kurrent/bridge-${kurrent}`;
      const reader = bridge ? [`${bridge}/index.node`] : [];
      const native = [...entries.values()].filter(
        (entry) => nativeKind(entry.data()) || /\.(node|exe|dll|so|dylib)$|\/bin\/esbuild$/.test(entry.name),
      );
      assert.deepEqual(native.map((entry) => entry.name).sort(), [esbuildBinary, addon, ...reader].sort());
      for (const entry of native) assert.deepEqual(nativeKind(entry.data()), { format, machine }, entry.name);
      // Of @kurrent, only this platform's bridge package: the client's JavaScript is in dist/kurrentdb.js.
      assert.deepEqual(
        [...entries.keys()].filter((name) => name.startsWith('extension/node_modules/@kurrent/')).sort(),
        bridge ? [`${bridge}/index.node`, `${bridge}/package.json`] : [],
      );

      // The binaries are the ones esbuild and better-sqlite3 publish.
      const esbuildData = entries.get(esbuildBinary)!.data();
      assert.equal(sha256(esbuildData), esbuildPackage['esbuild.binaryHashes'][`@esbuild/${esbuild}/${binary}`]);
      const platformPackage = JSON.parse(entries.get(`extension/node_modules/@esbuild/${esbuild}/package.json`)!.data().toString('utf8'));
      assert.deepEqual([platformPackage.name, platformPackage.version], [`@esbuild/${esbuild}`, esbuildPackage.version]);
      assert.equal(
        sha256(entries.get(addon)!.data()),
        sha256(readFileSync(join(REPO, 'node_modules', 'better-sqlite3', 'prebuilds', `${sqlite}.node`))),
      );
      if (bridge) {
        const bridgeJson = JSON.parse(entries.get(`${bridge}/package.json`)!.data().toString('utf8'));
        const name = `@kurrent/bridge-${kurrent}`;
        assert.deepEqual(
          [bridgeJson.name, bridgeJson.version, bridgeJson.main],
          [name, bridgePackage.optionalDependencies[name], 'index.node'],
        );
      }
      // Alpine's libraries are the musl builds, the other Linux ones glibc's (better-sqlite3 and
      // @kurrent/bridge pick by the libc they run on): glibc's have its versioned symbols.
      if (format === 'elf') {
        for (const library of [addon, ...reader])
          assert.equal(entries.get(library)!.data().includes('GLIBC_'), !target.startsWith('alpine'), library);
        assert.equal(entries.get(addon)!.data().includes('libc.musl'), target.startsWith('alpine'), addon);
      }
      if (format !== 'pe') assert.equal(entries.get(esbuildBinary)!.mode & 0o111, 0o111, `${esbuildBinary} is executable`);

      // dist/kurrentdb.js needs nothing from node_modules but the bridge (@neon-rs/load's map of
      // platforms, this target's among them) and its development build (../index.node, tried first).
      const kurrentSource = entries.get('extension/dist/kurrentdb.js')!.data().toString('utf8');
      const kurrentRequires = [...kurrentSource.matchAll(/\brequire\("([^"]+)"\)/g)]
        .map((match) => match[1])
        .filter((name) => !isBuiltin(name));
      for (const name of kurrentRequires) assert.match(name, /^@kurrent\/bridge-[a-z0-9-]+$|^\.\.\/index\.node$/);
      if (kurrent) assert.ok(kurrentRequires.includes(`@kurrent/bridge-${kurrent}`), `dist/kurrentdb.js loads @kurrent/bridge-${kurrent}`);

      // The JavaScript that loads them, and what the extension needs.
      for (const name of [
        'extension/package.json',
        'extension/dist/extension.js',
        'extension/dist/projection-worker.js',
        'extension/dist/python-bridge.js',
        'extension/dist/kurrentdb.js',
        'extension/python/eventscope_runner.py',
        'extension/examples/bankapp/bankapp/domainmodel.py',
        'extension/examples/bankapp/balances.py',
        'extension/dist/debugAdapter.js',
        'extension/dist/webview/replay.js',
        'extension/syntaxes/events.tmLanguage.json',
        'extension/language-configuration/events.json',
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

  it("this machine's package runs: the store opens with its SQLite addon, TypeScript compiles with its esbuild, the KurrentDB client loads its reader; without esbuild and SQLite's parts it falls back", function () {
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

      // The client's native reader (created with the client, before any connection) loads from the
      // package's node_modules, in a Node of its own.
      const kurrentdb = JSON.stringify(join(install.dir, 'dist', 'kurrentdb.js'));
      const client = spawnSync(
        process.execPath,
        [
          '-e',
          `console.log(typeof require(${kurrentdb}).KurrentDBClient.connectionString('kurrentdb://127.0.0.1:1?tls=false').rustClient)`,
        ],
        { cwd: work, env: { ...process.env, NODE_PATH: '', NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 30_000 },
      );
      assert.equal(client.status, 0, client.stderr);
      assert.equal(client.stdout.trim(), 'object', client.stderr);

      install.removeEsbuildBinary();
      install.removeSqliteAddon();
      checkWithoutNativeParts(install, work);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
