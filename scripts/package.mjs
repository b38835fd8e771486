// Builds the .vsix packages, one per Marketplace target, each with that platform's native parts only:
// esbuild's binary (`@esbuild/<platform>`, the version of our esbuild), the KurrentDB client's
// native reader (`@kurrent/bridge-<platform>`, the version @kurrent/bridge pins; none on
// win32-arm64), both from node_modules or the npm registry, and better-sqlite3's prebuilt addon
// (from node_modules/better-sqlite3/prebuilds).
//
//   node scripts/package.mjs                     this machine's target -> eventscope.vsix
//   node scripts/package.mjs --all               every target (platforms.mjs) -> vsix/eventscope-<target>.vsix
//   node scripts/package.mjs --target T [--out FILE] [--no-build]
//
// Each target is staged in .cache/platforms/stage/<pid>/<target>: the files .vscodeignore lets into
// a package, without any native file, plus the target's. vsce packages that folder
// (`--target`), with SOURCE_DATE_EPOCH set so the same inputs give the same bytes. The platform
// packages npm did not install here are fetched once with `npm pack` into .cache/platforms/npm,
// checked against package-lock.json's integrity (and esbuild's binaries against its own hashes).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  globSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { ALL_TARGETS, TARGETS, currentTarget, vsixPath } from './platforms.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const CACHE = join(ROOT, '.cache', 'platforms');
const require = createRequire(import.meta.url);
const log = (message) => console.log(`package: ${message}`);

/** Files that are native code, by name; the staging refuses any the targets do not account for. */
const NATIVE_NAME = /\.(node|exe|dll|so|dylib)$|(^|\/)bin\/esbuild$/;

export function stopwatch() {
  const start = Date.now();
  return () => `${((Date.now() - start) / 1000).toFixed(1)} s`;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

// ---- npm's platform packages (@esbuild/<platform>, @kurrent/bridge-<platform>) --------------

/** The files of a .tgz (npm's tarballs: ustar, with pax or GNU long names), as path -> Buffer. */
function untar(tgz) {
  const data = gunzipSync(tgz);
  const files = new Map();
  let longName;
  for (let offset = 0; offset + 512 <= data.length;) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start, length) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const body = data.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] ?? longName;
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    if (type === '0' || type === '7') files.set(name, Buffer.from(body));
  }
  return files;
}

export function npmCommand(args, cwd) {
  // Inside `npm run`, npm_execpath is npm's own CLI script: run it with this Node.
  const execPath = process.env.npm_execpath;
  const [command, argv] = execPath && /\.(c|m)?js$/.test(execPath) ? [process.execPath, [execPath, ...args]] : ['npm', args];
  const result = spawnSync(command, argv, { cwd, encoding: 'utf8', shell: command === 'npm' && process.platform === 'win32' });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${result.status ?? result.error}):\n${result.stderr}`);
  return result.stdout;
}

/**
 * The npm platform packages the targets carry, by the dependency that loads them: its package for a
 * target is `<prefix><TARGETS[target][key]>` (none where that is undefined), at the version the
 * dependency's optionalDependencies pin; of it we ship package.json and the native file `native`
 * (`program`: executable), checked against the dependency's own hashes where it publishes some.
 */
const PLATFORM_PACKAGES = [
  {
    dependency: 'esbuild',
    prefix: '@esbuild/',
    key: 'esbuild',
    native: (target) => TARGETS[target].binary,
    program: true,
    hashes: (dependency) => dependency['esbuild.binaryHashes'],
  },
  { dependency: '@kurrent/bridge', prefix: '@kurrent/bridge-', key: 'kurrent', native: () => 'index.node', program: false },
];

/** A target's platform packages: name, version, the native file and the files to ship. */
function platformPackages(target) {
  return PLATFORM_PACKAGES.filter((kind) => TARGETS[target][kind.key]).map((kind) => {
    const dependency = readJson(join(ROOT, 'node_modules', kind.dependency, 'package.json'));
    const name = `${kind.prefix}${TARGETS[target][kind.key]}`;
    const version = dependency.optionalDependencies?.[name];
    if (!version) throw new Error(`${kind.dependency}'s optionalDependencies have no ${name}`);
    const native = kind.native(target);
    const sha256 = kind.hashes?.(dependency)?.[`${name}/${native}`];
    return { name, version, native, program: kind.program, sha256, hashedBy: kind.dependency, files: ['package.json', native] };
  });
}

/** Where npm installed this version of a package (its `dir`, else node_modules), or undefined. */
export function installedDir(pkg) {
  const dir = pkg.dir ?? join(ROOT, 'node_modules', pkg.name);
  return existsSync(join(dir, 'package.json')) && readJson(join(dir, 'package.json')).version === pkg.version ? dir : undefined;
}

/**
 * The files of platform packages (platformPackages), as name -> (file -> Buffer): from node_modules
 * (or the package's `dir`) when npm installed that version there, else from the cached tarball
 * (fetched with `npm pack` when missing). Checked against the lockfile's integrity, or the
 * package's own `integrity` (scripts/sea.mjs asks the registry), and the dependency's hashes.
 */
export function fetchPackages(packages) {
  const lock = existsSync(join(ROOT, 'package-lock.json')) ? readJson(join(ROOT, 'package-lock.json')) : { packages: {} };
  const npmDir = join(CACHE, 'npm');
  mkdirSync(npmDir, { recursive: true });
  const unique = [...new Map(packages.map((pkg) => [pkg.name, pkg])).values()];
  // npm pack's name for it: @scope/name@1.2.3 -> scope-name-1.2.3.tgz.
  const tarball = ({ name, version }) => join(npmDir, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  const missing = unique.filter((pkg) => !installedDir(pkg) && !existsSync(tarball(pkg)));
  if (missing.length) {
    const t = stopwatch();
    const specs = missing.map(({ name, version }) => `${name}@${version}`);
    // Into a folder of this run's, then into place: a run beside this one never reads half a file.
    const incoming = join(npmDir, `incoming-${process.pid}`);
    mkdirSync(incoming, { recursive: true });
    try {
      npmCommand(['pack', ...specs, '--pack-destination', incoming, '--silent', '--ignore-scripts'], incoming);
      for (const pkg of missing) renameSync(join(incoming, basename(tarball(pkg))), tarball(pkg));
    } finally {
      rmSync(incoming, { recursive: true, force: true });
    }
    log(`fetched ${specs.join(', ')} from the npm registry (${t()})`);
  }
  const result = new Map();
  for (const pkg of unique) {
    const { name, version, native, files: wanted } = pkg;
    let files;
    const dir = installedDir(pkg);
    if (dir) {
      files = new Map(wanted.map((file) => [file, readFileSync(join(dir, file))]));
    } else {
      const tgz = readFileSync(tarball(pkg));
      const locked = lock.packages?.[`node_modules/${name}`];
      if (locked?.version && locked.version !== version)
        throw new Error(`package-lock.json has ${name}@${locked.version}, not the ${version} we ship: run npm install`);
      const actual = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
      const [expected, source] = pkg.integrity ? [pkg.integrity, "the registry's"] : [locked?.integrity, "package-lock.json's"];
      if (expected && expected !== actual) {
        rmSync(tarball(pkg));
        throw new Error(`${tarball(pkg)} does not match ${source} integrity for ${name} (removed it: run again)`);
      }
      const all = untar(tgz);
      files = new Map(wanted.map((file) => [file, all.get(`package/${file}`)]));
      for (const file of wanted) if (!files.get(file)) throw new Error(`${tarball(pkg)} has no package/${file}`);
    }
    const hash = createHash('sha256').update(files.get(native)).digest('hex');
    if (pkg.sha256 && pkg.sha256 !== hash) throw new Error(`${name}/${native} does not match ${pkg.hashedBy}'s hash for it (${hash})`);
    result.set(name, files);
  }
  return result;
}

// ---- staging and packaging ------------------------------------------------------------------

/**
 * What .vscodeignore lets into a package, without native files. It is an allowlist (`**`, then
 * `!pattern` lines), so the files are what those patterns match; vsce applies the whole file again
 * to the stage. (vsce's own listing globs the whole repo, .cache included: seconds.)
 */
function baseFiles() {
  const lines = readFileSync(join(ROOT, '.vscodeignore'), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  if (lines[0] !== '**' || lines.slice(1).some((line) => !line.startsWith('!'))) {
    throw new Error('.vscodeignore must be an allowlist: "**", then "!pattern" lines (scripts/package.mjs reads it so)');
  }
  const files = new Set(['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].filter((file) => existsSync(join(ROOT, file))));
  const add = (file) => {
    if (statSync(join(ROOT, file)).isDirectory()) for (const entry of readdirSync(join(ROOT, file))) add(`${file}/${entry}`);
    else files.add(file.replaceAll('\\', '/'));
  };
  for (const line of lines.slice(1)) for (const match of globSync(line.slice(1), { cwd: ROOT })) add(match);
  // Every platform's native parts stay out: each stage gets its target's (stage).
  const perPlatform = ['node_modules/better-sqlite3/prebuilds/', ...PLATFORM_PACKAGES.map((kind) => `node_modules/${kind.prefix}`)];
  const base = [...files].filter((file) => !perPlatform.some((folder) => file.startsWith(folder))).sort();
  const stray = base.filter((file) => NATIVE_NAME.test(file));
  if (stray.length) throw new Error(`native files no target accounts for (scripts/platforms.mjs): ${stray.join(', ')}`);
  return base;
}

function write(path, contents, mode = 0o644) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, contents);
  chmodSync(path, mode);
}

/** This run's staging folder (runs side by side, such as `npm run package` in another test, keep apart). */
const STAGES = join(CACHE, 'stage', String(process.pid));

function stage(target, base, fetched) {
  const dir = join(STAGES, target);
  rmSync(dir, { recursive: true, force: true });
  for (const file of base) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
    chmodSync(join(dir, file), 0o644);
  }
  const addon = `node_modules/better-sqlite3/prebuilds/${TARGETS[target].sqlite}.node`;
  write(join(dir, addon), readFileSync(join(ROOT, addon)));
  const natives = [addon];
  for (const { name, native, program } of platformPackages(target)) {
    for (const [file, contents] of fetched.get(name)) {
      write(join(dir, 'node_modules', name, file), contents, program && file === native ? 0o755 : 0o644);
    }
    natives.push(`node_modules/${name}/${native}`);
  }
  copyFileSync(join(ROOT, '.vscodeignore'), join(dir, '.vscodeignore'));
  // The stage's native files are this target's and no others.
  const staged = readdirSync(dir, { recursive: true }).map((file) => String(file).replaceAll('\\', '/'));
  const found = staged.filter((file) => NATIVE_NAME.test(file)).sort();
  if (found.join('\n') !== natives.sort().join('\n'))
    throw new Error(`${target}'s stage has the native files ${found.join(', ')}, not ${natives.join(', ')}`);
  return dir;
}

/** The folders vsce takes files from in a stage: the stage and each package under its node_modules. */
function packageDirs(stageDir) {
  const modules = join(stageDir, 'node_modules');
  const dirs = [stageDir];
  if (!existsSync(modules)) return dirs;
  for (const name of readdirSync(modules)) {
    if (name.startsWith('@')) for (const sub of readdirSync(join(modules, name))) dirs.push(join(modules, name, sub));
    else dirs.push(join(modules, name));
  }
  return dirs;
}

async function main() {
  const { values } = parseArgs({
    options: {
      all: { type: 'boolean' },
      target: { type: 'string', multiple: true },
      out: { type: 'string' },
      'no-build': { type: 'boolean' },
    },
  });
  const total = stopwatch();
  const here = currentTarget();
  const targets = values.all ? ALL_TARGETS : (values.target ?? [here]);
  if (targets.includes(undefined)) throw new Error(`no Marketplace target for ${process.platform}-${process.arch}: pass --target`);
  for (const target of targets)
    if (!TARGETS[target]) throw new Error(`unknown target ${target} (known: ${Object.keys(TARGETS).join(', ')})`);
  if (values.out && targets.length > 1) throw new Error('--out needs a single target');
  // A package takes its files' modes from the disk, and Windows has no executable bit to give.
  const unix = targets.filter((target) => TARGETS[target].binary !== 'esbuild.exe');
  if (process.platform === 'win32' && unix.length)
    throw new Error(`build ${unix.join(', ')} on Linux or macOS: on Windows esbuild's binary would lose its executable bit`);
  const outOf = (target) => resolve(ROOT, values.out ?? (values.all || values.target ? vsixPath(target) : 'eventscope.vsix'));

  if (!values['no-build']) {
    const t = stopwatch();
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    if (result.status !== 0) process.exit(result.status ?? 1);
    log(`built dist/ (${t()})`);
  }

  const vsce = require('@vscode/vsce');
  // vsce takes a package's node_modules from `npm list`, which a stage (no npm install) cannot
  // answer: the stage's packages are exactly what to ship, so they are its dependencies.
  const npm = require('@vscode/vsce/out/npm.js');
  if (typeof npm.getDependencies !== 'function') throw new Error('@vscode/vsce changed: scripts/package.mjs needs its npm.getDependencies');
  const stages = new Set();
  const getDependencies = npm.getDependencies;
  npm.getDependencies = async (cwd, ...rest) => (stages.has(resolve(cwd)) ? packageDirs(cwd) : getDependencies(cwd, ...rest));

  // Reproducible zips (vsce sorts the files and dates them all at this time): the last commit's.
  if (!process.env.SOURCE_DATE_EPOCH) {
    const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' });
    process.env.SOURCE_DATE_EPOCH = git.status === 0 && git.stdout.trim() ? git.stdout.trim() : '315619200';
  }

  const base = baseFiles();
  const fetched = fetchPackages(targets.flatMap(platformPackages));
  try {
    for (const target of targets) {
      const t = stopwatch();
      const dir = stage(target, base, fetched);
      stages.add(resolve(dir));
      const out = outOf(target);
      mkdirSync(dirname(out), { recursive: true });
      await vsce.createVSIX({ cwd: dir, target, packagePath: out, allowMissingRepository: true, rewriteRelativeLinks: false });
      log(`${target}: ${relative(ROOT, out)}, ${(statSync(out).size / 1024 / 1024).toFixed(2)} MB (${t()})`);
    }
  } finally {
    rmSync(STAGES, { recursive: true, force: true });
  }
  log(`${targets.length} package${targets.length === 1 ? '' : 's'} in ${total()}`);
}

// Run as a script (scripts/sea.mjs imports the npm helpers above).
if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  main().catch((error) => {
    console.error(`package: ${error.stack ?? error}`);
    process.exit(1);
  });
}
