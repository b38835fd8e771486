/**
 * The CLI for people who only want to use it: `npm pack` makes a tarball of the command (its
 * bundles, workers, Python runner and example; .npmignore), and `npm install -g` of that tarball
 * into a fresh prefix gives a working `eventscope` (its dependencies from the npm registry), run
 * here on a fixture store and with a TypeScript projection (which needs the installed esbuild).
 */

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { makeTempDir, removeTempDirs } from './helpers/cli';
import { FIXTURES } from './helpers/dumps';
import { mcpInput, mcpResults } from './helpers/mcpLines';

const ROOT = resolve(__dirname, '..');

describe('the CLI from its npm tarball (npm pack, npm install -g)', function () {
  this.timeout(600_000);
  after(removeTempDirs);

  it('installs into a fresh prefix and runs: info, log, replay of a TypeScript projection, the language server, the MCP server', async () => {
    const out = makeTempDir('eventscope-pack-');
    // npm and the scripts it runs use this Node (>= 22.14), first on PATH.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
    execFileSync('npm', ['pack', '--pack-destination', out], { cwd: ROOT, env, stdio: 'pipe' });
    const [tarball] = readdirSync(out).filter((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    const listing = execFileSync('tar', ['-tzf', join(out, tarball)], { encoding: 'utf8' }).split('\n');
    for (const file of [
      'package/bin/eventscope.js',
      'package/bin/eventscope-language-server.js',
      'package/dist/cli.js',
      'package/dist/server.js',
      'package/dist/projection-worker.js',
      'package/dist/mcp.js',
      'package/dist/search-worker.js',
      'package/python/eventscope_runner.py',
    ])
      assert.ok(listing.includes(file), `${file} is in the tarball`);
    assert.ok(
      !listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.endsWith('.map')),
      'no tests, sources or maps',
    );

    const prefix = join(out, 'global');
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(out, tarball)], { env, stdio: 'pipe' });
    const eventscope = join(prefix, 'bin', 'eventscope');
    const run = (...args: string[]) => spawnSync(eventscope, args, { env: { ...env, NO_COLOR: '1' }, encoding: 'utf8', cwd: out });

    const version = run('--version');
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
    const info = run('info', join(FIXTURES, 'a_plain.db'));
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /Events\s+21 \(head position 21\)/);
    const log = run('log', join(FIXTURES, 'a_plain.db'), '--type', 'Credited', '--json');
    assert.equal(log.status, 0, log.stderr);
    assert.equal((JSON.parse(log.stdout) as unknown[]).length, 5);

    // The language server as other editors start it: it answers `initialize` over stdio.
    const answer = await firstAnswer(join(prefix, 'bin', 'eventscope-language-server'), env, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { processId: null, rootUri: null, capabilities: {} },
    });
    assert.match(answer, /"serverInfo":\{"name":"eventscope","version":"\d+\.\d+\.\d+"\}/);

    // The MCP server as agents' clients start it: a session over stdin, a search in its worker.
    const mcp = spawnSync(eventscope, ['mcp', '--store', join(FIXTURES, 'a_plain.db')], {
      env,
      input: mcpInput([['tools/call', { name: 'search_events', arguments: { where: 'event.type.endsWith("Credited")' } }]]),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(mcp.status, 0, mcp.stderr);
    const [found] = mcpResults(mcp.stdout, 1) as [{ structuredContent?: { events: unknown[] } } | undefined];
    assert.equal(found?.structuredContent?.events.length, 5, mcp.stdout);

    const projection = join(out, 'count.projection.ts');
    writeFileSync(
      projection,
      'export default { init: () => ({ n: 0 as number }), when: { Credited: (s: { n: number }) => { s.n += 1; } } };\n',
    );
    const replay = run('replay', join(FIXTURES, 'a_plain.db'), '--projection', projection, '--json');
    assert.equal(replay.status, 0, replay.stderr);
    assert.deepEqual((JSON.parse(replay.stdout) as { state: unknown }).state, { n: 5 });
  });
});

/** What a language server program answers first to a JSON-RPC message sent with its LSP header (stdin kept open until then). */
function firstAnswer(program: string, env: NodeJS.ProcessEnv, message: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['--stdio'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no answer in 20 s; stderr: ${err}`));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const header = /Content-Length: (\d+)\r\n\r\n/.exec(out);
      if (header && Buffer.byteLength(out.slice(header.index + header[0].length)) >= Number(header[1])) {
        clearTimeout(timer);
        child.kill();
        resolve(out);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    const text = JSON.stringify(message);
    child.stdin.write(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  });
}
