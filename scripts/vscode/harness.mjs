// Starts code-server (a real VS Code server) and Debian's chromium for run.mjs and ui.mjs, and always
// tears both down. Everything they write (home, XDG folders, user data, extensions, logs) goes to a
// temp folder. Needs `node scripts/vscode/setup.mjs` first.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CHROMIUM,
  CODE_SERVER_VERSION,
  cleanEnv,
  codeServerEntry,
  loadPlaywright,
  log,
  pathWith,
  projectNode,
  readMarker,
} from './common.mjs';

/** User settings that keep the workbench quiet and quick (no AI features, welcome page, git, telemetry, updates). */
export const QUIET_SETTINGS = {
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'git.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
};

export const BROWSER_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function requireSetup() {
  const marker = readMarker();
  if (!marker || marker.codeServer !== CODE_SERVER_VERSION || !existsSync(CHROMIUM)) {
    throw new Error('code-server/chromium are not set up: run "node scripts/vscode/setup.mjs" (or "npm run test:vscode")');
  }
}

/** A temp folder with home/XDG folders for the server and the browser; `env` points at them. */
export function makeSandbox(prefix = 'eventscope-vscode-') {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dirs = {
    root,
    home: join(root, 'home'),
    config: join(root, 'xdg-config'),
    data: join(root, 'xdg-data'),
    cache: join(root, 'xdg-cache'),
    user: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
    workspace: join(root, 'workspace'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const env = { HOME: dirs.home, XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data, XDG_CACHE_HOME: dirs.cache };
  return { ...dirs, env, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function healthy(port) {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
  });
}

/**
 * Live (non-zombie) members of a process group, as "pid name", from /proc; null where there is no /proc.
 * (kill(-pgid, 0) also counts zombies that their new parent has not reaped yet.)
 */
function groupMembers(pgid) {
  if (!existsSync('/proc/self/stat')) return null;
  const members = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
      const close = stat.lastIndexOf(')');
      const [state, , pgrp] = stat.slice(close + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(`${entry} ${stat.slice(stat.indexOf('(') + 1, close)}`);
    } catch {
      // exited meanwhile
    }
  }
  return members;
}

function groupAlive(pgid) {
  const members = groupMembers(pgid);
  if (members) return members.length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the whole process group (code-server leaves helpers behind otherwise), SIGKILL after 5 s. */
async function killGroup(pgid) {
  if (!groupAlive(pgid)) return;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
  if (groupAlive(pgid)) {
    log(`code-server group ${pgid} still alive 5 s after SIGTERM (${(groupMembers(pgid) ?? []).join(', ')}); SIGKILL`);
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Process groups of the code-servers started here and not stopped yet. */
const groups = new Set();

/** Stops every code-server started here that is still running. */
export async function stopAllServers() {
  await Promise.all([...groups].map((pid) => killGroup(pid).then(() => groups.delete(pid))));
}

/** Synchronous last resort (process 'exit' handler): no waiting possible there. */
export function killAllServersNow() {
  for (const pid of groups) {
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      try {
        process.kill(-pid, signal);
      } catch {
        break;
      }
    }
  }
  groups.clear();
}

/**
 * Starts code-server detached (its own process group) on a free 127.0.0.1 port and waits for /healthz.
 * Workspace trust stays enabled unless `args` has --disable-workspace-trust (run.mjs's extension-host
 * tests: VS Code debugs only trusted folders), so UI tests can exercise the trust prompt. Retries on
 * another port if the free port was taken in between.
 */
export async function startCodeServer(sandbox, options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(sandbox, options);
    } catch (error) {
      if (attempt === 3 || !/EADDRINUSE/.test(error.message)) throw error;
      log(`port taken, retrying (${attempt})`);
    }
  }
}

async function startOnce(
  sandbox,
  { args = [], env = {}, logFile = join(sandbox.root, 'code-server.log'), startupTimeoutMs = 60_000, port: fixedPort } = {},
) {
  const node = projectNode();
  const port = fixedPort ?? (await freePort());
  const configFile = join(sandbox.root, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  mkdirSync(join(sandbox.user, 'User'), { recursive: true });
  writeFileSync(join(sandbox.user, 'User', 'settings.json'), JSON.stringify(QUIET_SETTINGS, null, 2) + '\n');
  const out = openSync(logFile, 'w');
  const child = spawn(
    node.bin,
    [
      codeServerEntry(),
      ...['--config', configFile, '--user-data-dir', sandbox.user, '--extensions-dir', sandbox.extensions],
      ...['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check'],
      '--disable-getting-started-override',
      ...args,
      sandbox.workspace,
    ],
    { detached: true, stdio: ['ignore', out, out], env: cleanEnv({ ...sandbox.env, PATH: pathWith(node.binDir), ...env }) },
  );
  closeSync(out);
  const pid = child.pid;
  groups.add(pid);
  let exited = null;
  child.on('exit', (code, signal) => (exited = code ?? signal));
  const stop = async () => {
    await killGroup(pid);
    groups.delete(pid);
  };
  const deadline = Date.now() + startupTimeoutMs;
  while (!(await healthy(port))) {
    if (exited !== null || Date.now() > deadline) {
      await stop();
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      throw new Error(`code-server did not become healthy (${exited !== null ? `exited: ${exited}` : 'timeout'}); log:\n${tail}`);
    }
    await sleep(200);
  }
  return { port, pid, logFile, origin: `http://127.0.0.1:${port}`, stop };
}

/** Installs a packaged extension into the sandbox's extensions folder (before the server starts). */
export function installVsix(sandbox, vsix) {
  const node = projectNode();
  return new Promise((resolve, reject) => {
    const child = spawn(
      node.bin,
      [codeServerEntry(), '--user-data-dir', sandbox.user, '--extensions-dir', sandbox.extensions, '--install-extension', vsix],
      { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv({ ...sandbox.env, PATH: pathWith(node.binDir) }) },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`--install-extension ${vsix} failed (${code}):\n${output}`)),
    );
  });
}

export async function launchBrowser(sandbox) {
  const { chromium } = loadPlaywright();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: BROWSER_ARGS,
    env: { ...process.env, ...sandbox.env },
  });
}

/** The workbench URL; `payload` entries become the workbench's development options (see run.mjs). */
export function workbenchUrl(server, folder, payload) {
  const url = new URL('/', server.origin);
  url.searchParams.set('folder', folder);
  if (payload) url.searchParams.set('payload', JSON.stringify(payload));
  return url.href;
}

/** `vscode-remote://` URI of a file on the server (what extensionDevelopmentPath/extensionTestsPath want). */
export function remoteUri(server, absPath) {
  return `vscode-remote://127.0.0.1:${server.port}${absPath}`;
}
