// The single-file executable (`npm run sea`, scripts/sea.mjs) of this machine's target, built from
// dist/ or taken from .cache/sea/<build id>/, run where no Node is on the PATH: it prints what
// `node dist/cli.js` prints for the same arguments (with node:sqlite, the one SQLite engine it
// has), its worker threads and the Python runner included, and says what it leaves out.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentTarget } from '../scripts/platforms.mjs';
import { buildId, nodeVersion, SEA_TARGETS } from '../scripts/sea.mjs';
import { makeTempDir, removeTempDirs, runCli, type RunResult } from './helpers/cli';
import { FIXTURES } from './helpers/dumps';
import { eventsourcingEnv, FIXTURE_PYTHON, NO_EVENTSOURCING } from './helpers/python';
import { REPO } from './helpers/install';

const target = currentTarget() as string | undefined;
const noSea =
  !target || !(target in SEA_TARGETS)
    ? `no single-file executable for ${process.platform}-${process.arch} (scripts/sea.mjs)`
    : !(process.config.variables as { single_executable_application?: boolean }).single_executable_application
      ? `this Node (${process.version}) is built without single executable applications`
      : process.version !== `v${nodeVersion()}`
        ? `the executables are made of Node ${nodeVersion()}, this is ${process.version}: run it through npm`
        : undefined;

/** Replay's timing is the only line that differs between two runs. */
const untimed = (text: string) => text.replace(/ in \d+ ms$/m, ' in N ms');

describe('single-file executable: the CLI without Node', function () {
  this.timeout(60_000);
  let exe: string;
  let home: string;
  let noNode: string;
  let demo: string;

  before(function () {
    if (noSea) {
      console.log(`      (skipped: ${noSea})`);
      return this.skip();
    }
    // The build (about 10-40 s: injecting the blob into a 120 MB binary) is kept by build id.
    this.timeout(180_000);
    const id: string = buildId();
    const cache = join(REPO, '.cache', 'sea');
    exe = join(cache, id, `eventscope-${target}`);
    if (!existsSync(exe)) {
      if (existsSync(cache))
        for (const old of readdirSync(cache)) if (/^[0-9a-f]{16}$/.test(old)) rmSync(join(cache, old), { recursive: true, force: true });
      const built = spawnSync(process.execPath, [join(REPO, 'scripts', 'sea.mjs'), '--target', target!, '--out', exe], {
        cwd: REPO,
        encoding: 'utf8',
      });
      assert.equal(built.status, 0, `scripts/sea.mjs failed:\n${built.stdout}\n${built.stderr}`);
    }
    home = makeTempDir('eventscope-sea-home-');
    noNode = makeTempDir('eventscope-sea-path-'); // an empty folder: the whole PATH
    demo = join(makeTempDir(), 'demo.sqlite');
    const made = runCli(['demo', '--force', demo]);
    assert.equal(made.code, 0, made.stderr);
  });
  after(removeTempDirs);

  /** Runs the executable with nothing of the caller's environment but `env`. */
  function sea(args: string[], env: Record<string, string> = {}): RunResult {
    const result = spawnSync(exe, args, {
      cwd: REPO,
      env: { PATH: noNode, HOME: home, NO_COLOR: '1', ...env },
      encoding: 'utf8',
      timeout: 30_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function same(args: string[], env: Record<string, string> = {}, normalize = (text: string) => text): RunResult {
    const got = sea(args, env);
    const expected = runCli(args, { cwd: REPO, env: { EVENTSCOPE_SQLITE_ENGINE: 'node:sqlite', ...env } });
    assert.equal(got.code, expected.code, `exit status of ${args.join(' ')}: ${got.stderr}`);
    assert.equal(normalize(got.stdout), normalize(expected.stdout), args.join(' '));
    assert.ok(got.stdout.length > 0, args.join(' '));
    return got;
  }

  it('runs with no node on the PATH, and says its version', () => {
    const which = spawnSync('/bin/sh', ['-c', 'command -v node'], { env: { PATH: noNode } });
    assert.notEqual(which.status, 0, 'node is on the PATH given to the executable');
    same(['--version']);
  });

  it('info: the same, opened with node:sqlite', () => {
    const r = same(['info', join(FIXTURES, 'a_plain.db')]);
    assert.match(r.stdout, /opened read-only with node:sqlite/);
  });

  it('streams and log, the log read by its two worker threads', () => {
    same(['streams', demo]);
    same(['log', demo], { EVENTSCOPE_CLI_THREADS: '2' });
    same(['log', demo, '--json']);
  });

  it('replay with a projection (in the projection worker), and --until-invariant-fails (exit 3)', () => {
    const r = same(['replay', demo, '--projection', 'examples/bank-balances.js'], {}, untimed);
    assert.match(r.stdout, /Steps +330/);
    same(['replay', demo, '--projection', 'examples/bank-balances.js', '--until-invariant-fails'], {}, untimed);
  });

  it('writes its files once to the user cache folder (per version and build)', () => {
    const root = join(home, '.cache', 'eventscope', 'sea');
    const [folder, ...more] = readdirSync(root);
    assert.deepEqual(more, []);
    assert.match(folder, /^\d+\.\d+\.\d+.*-[0-9a-f]{16}$/);
    for (const file of [
      'dist/cli.js',
      'dist/log-worker.js',
      'dist/projection-worker.js',
      'dist/python-bridge.js',
      'python/eventscope_runner.py',
    ])
      assert.ok(existsSync(join(root, folder, file)), file);
    // EVENTSCOPE_SEA_CACHE chooses another folder.
    const elsewhere = join(makeTempDir(), 'nested');
    mkdirSync(elsewhere);
    same(['--version'], { EVENTSCOPE_SEA_CACHE: elsewhere });
    assert.ok(existsSync(join(elsewhere, 'eventscope', 'sea', folder, 'dist', 'cli.js')));
    // A home it cannot write to: a folder of this user's in the temporary folder.
    const tmp = makeTempDir();
    const blocked = join(tmp, 'file');
    writeFileSync(blocked, '');
    same(['--version'], { HOME: join(blocked, 'home'), TMPDIR: tmp });
    assert.ok(existsSync(join(tmp, `eventscope-${process.getuid?.()}`, 'eventscope', 'sea', folder, 'dist', 'cli.js')));
  });

  it('replays through Python with the runner it carries', function () {
    const env = eventsourcingEnv();
    if (!env) {
      console.log(`      ${NO_EVENTSOURCING}`);
      return this.skip();
    }
    // The interpreter itself (not a shim that needs the PATH the executable runs without).
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { env, encoding: 'utf8' }).trim();
    const args = ['replay', join(FIXTURES, 'a_plain.db'), '--python', '--python-path', FIXTURE_PYTHON, '--category', 'Dog', '--json'];
    const r = same(args, { EVENTSCOPE_PYTHON: python, PYTHONPATH: env.PYTHONPATH ?? '' });
    assert.equal(JSON.parse(r.stdout).errors.length, 0);
  });

  it('says that KurrentDB and TypeScript projections are not in it', () => {
    const kurrent = sea(['info', 'kurrentdb://127.0.0.1:1']);
    assert.equal(kurrent.code, 1);
    assert.match(kurrent.stderr, /KurrentDB client, which the single-file executable of Eventscope does not include/);
    const dir = makeTempDir();
    const projection = join(dir, 'count.ts');
    writeFileSync(projection, 'export default { init: (): number => 0, when: { $any: (n: number) => n + 1 } };\n');
    const ts = sea(['replay', demo, '--projection', projection]);
    assert.equal(ts.code, 1);
    assert.match(ts.stderr, /TypeScript projections need esbuild's native binary/);
  });
});
