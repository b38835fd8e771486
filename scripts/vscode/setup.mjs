// Installs what `npm run test:vscode` needs, once, and reuses it afterwards:
//   - Debian's chromium (+ libkrb5-dev, whose headers code-server's `kerberos` dependency builds against)
//   - code-server (a real VS Code: workbench in the browser, extension host on Node 24) and playwright-core,
//     into .cache/vscode (git-ignored), with its own package.json, built by the project's Node 24.
// Idempotent: a marker (.cache/vscode/installed.json) records what was installed; a matching marker skips
// the install. Safe on a fresh CI machine (runs apt-get as root, or through `sudo -n`).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CACHE_DIR,
  CHROMIUM,
  CODE_SERVER_VERSION,
  MARKER,
  PLAYWRIGHT_CORE_VERSION,
  cleanEnv,
  hasHeaders,
  log,
  pathWith,
  projectNode,
  readMarker,
  stopwatch,
} from './common.mjs';

const total = stopwatch();

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function hasKrb5Headers() {
  return existsSync('/usr/include/gssapi/gssapi.h') || existsSync('/usr/include/gssapi.h');
}

function aptInstall(packages) {
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [command, ...rest] = [...prefix, 'apt-get'];
  try {
    run(command, [...rest, 'update', '-qq'], { env });
    run(command, [...rest, 'install', '-y', '-qq', ...packages], { env });
  } catch (error) {
    throw new Error(`could not install ${packages.join(' ')} (${error.message}); install them as root and rerun`);
  }
}

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(join(CACHE_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

const node = projectNode();
const wanted = { codeServer: CODE_SERVER_VERSION, playwrightCore: PLAYWRIGHT_CORE_VERSION, node: node.version };
const marker = readMarker();
const upToDate =
  marker !== null &&
  Object.entries(wanted).every(([key, value]) => marker[key] === value) &&
  installedVersion('code-server') === CODE_SERVER_VERSION &&
  installedVersion('playwright-core') === PLAYWRIGHT_CORE_VERSION;

// 1. System packages: chromium always; the kerberos headers only when code-server has to be built.
const apt = [];
if (!existsSync(CHROMIUM)) apt.push('chromium');
if (!upToDate && !hasKrb5Headers()) apt.push('libkrb5-dev');
if (apt.length > 0) {
  const t = stopwatch();
  log(`apt-get install ${apt.join(' ')} ...`);
  aptInstall(apt);
  log(`apt-get install ${apt.join(' ')}: ${t()}`);
} else {
  log(`chromium present (${CHROMIUM}); no apt-get needed`);
}
// (Debian's launcher script prints a harmless shell warning on hosts with several /dev/shm mounts.)
log(execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());

if (upToDate) {
  log(`reusing ${CACHE_DIR}: code-server ${CODE_SERVER_VERSION}, playwright-core ${PLAYWRIGHT_CORE_VERSION}, Node ${node.version}`);
  log(`setup: ${total()}`);
  process.exit(0);
}

// 2. Node 24 headers for node-gyp. The user's npm config may point `nodedir` at the system Node's headers
//    (another ABI), so npm_config_nodedir is always set explicitly.
mkdirSync(CACHE_DIR, { recursive: true });
let nodedir = node.nodedir;
if (!nodedir) {
  const headersDir = join(CACHE_DIR, 'node-headers');
  nodedir = join(headersDir, 'node_modules', node.archPkg);
  if (!hasHeaders(nodedir)) {
    const t = stopwatch();
    log(`Node ${node.version} headers missing from node_modules/node; installing ${node.archPkg}@${node.version} for them ...`);
    mkdirSync(headersDir, { recursive: true });
    writeFileSync(join(headersDir, 'package.json'), JSON.stringify({ name: 'eventscope-node-headers', private: true }, null, 2) + '\n');
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', `${node.archPkg}@${node.version}`], {
      cwd: headersDir,
      env: cleanEnv({ PATH: pathWith(node.binDir) }),
    });
    if (!hasHeaders(nodedir)) throw new Error(`${nodedir} has no include/node headers`);
    log(`Node headers: ${t()}`);
  }
}
log(`Node ${node.version}: ${node.bin}; nodedir ${nodedir}`);

// 3. code-server + playwright-core. A half-finished earlier install (no marker) is removed first: code-server's
//    postinstall (which builds its native modules) only runs when npm (re)installs the package.
rmSync(MARKER, { force: true });
rmSync(join(CACHE_DIR, 'node_modules'), { recursive: true, force: true });
rmSync(join(CACHE_DIR, 'package-lock.json'), { force: true });
const manifest = {
  name: 'eventscope-vscode-cache',
  private: true,
  description: 'Generated by scripts/vscode/setup.mjs: code-server and playwright-core for npm run test:vscode',
  dependencies: { 'code-server': CODE_SERVER_VERSION, 'playwright-core': PLAYWRIGHT_CORE_VERSION },
  // npm >= 11.x warns about install scripts not listed here; both must run (native modules).
  allowScripts: { 'code-server': true, argon2: true },
};
writeFileSync(join(CACHE_DIR, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
const t = stopwatch();
log(`npm install code-server@${CODE_SERVER_VERSION} playwright-core@${PLAYWRIGHT_CORE_VERSION} into ${CACHE_DIR} (a few minutes) ...`);
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=warn'], {
  cwd: CACHE_DIR,
  env: cleanEnv({ PATH: pathWith(node.binDir), npm_config_nodedir: nodedir }),
});
for (const name of ['code-server', 'playwright-core']) {
  if (!installedVersion(name)) throw new Error(`${name} is missing from ${CACHE_DIR}/node_modules after npm install`);
}
log(`npm install: ${t()}`);

writeFileSync(MARKER, JSON.stringify({ ...wanted, nodedir, installedAt: new Date().toISOString(), seconds: t() }, null, 2) + '\n');
log(`setup: ${total()}`);
