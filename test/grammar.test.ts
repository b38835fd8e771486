// The `.events` TextMate grammar (syntaxes/events.tmLanguage.json): its snapshot tests
// (`npm run test:grammar`: vscode-tmgrammar-snap over test/grammar/*.events, each beside its
// `.snap`, with VS Code's JSON grammar from the tm-grammars package for the embedded bodies) run
// here too, so that plain `mocha` covers them; and the language's contributions hang together.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, matchesGlob } from 'node:path';

const REPO = join(__dirname, '..');
const SAMPLES = join(REPO, 'test', 'grammar');
const JSON_GRAMMAR = join(REPO, 'node_modules', 'tm-grammars', 'grammars', 'json.json');
const SNAP = join(REPO, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'snapshot.js');

interface Manifest {
  scripts: Record<string, string>;
  contributes: {
    languages: { id: string; extensions?: string[]; aliases?: string[]; configuration?: string }[];
    grammars: { language?: string; scopeName: string; path: string }[];
  };
}
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Manifest;

/** Runs the snapshot tool as `npm run test:grammar` does, on the given test cases. */
function snap(testCases: string[]) {
  return spawnSync(process.execPath, [SNAP, '-g', JSON_GRAMMAR, ...testCases], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
}

describe('the .events grammar', () => {
  const samples = readdirSync(SAMPLES).filter((name) => name.endsWith('.events'));

  it('tokenizes every sample in test/grammar as its snapshot says', () => {
    assert.ok(samples.length >= 2, 'samples in test/grammar');
    // The tool writes a missing snapshot and passes: each must be there beforehand.
    for (const name of samples)
      assert.ok(existsSync(join(SAMPLES, `${name}.snap`)), `test/grammar/${name}.snap (npm run test:grammar -- -u writes it)`);
    const before = samples.map((name) => readFileSync(join(SAMPLES, `${name}.snap`), 'utf8'));
    const run = snap(['test/grammar/*.events']);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.doesNotMatch(run.stdout + run.stderr, /grammar not found|ERROR|Generating/);
    assert.deepEqual(
      samples.map((name) => readFileSync(join(SAMPLES, `${name}.snap`), 'utf8')),
      before,
    );
  });

  it('fails on a sample its snapshot does not describe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventscope-grammar-'));
    try {
      copyFileSync(join(SAMPLES, 'example.events.snap'), join(dir, 'changed.events.snap'));
      writeFileSync(
        join(dir, 'changed.events'),
        readFileSync(join(SAMPLES, 'example.events'), 'utf8').replace(
          'BankAccount.Opened  account-1',
          'BankAccount.Opened  account-1 oops',
        ),
      );
      const run = snap([join(dir, '*.events')]);
      assert.notEqual(run.status, 0, run.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is contributed with its language and configuration, and they go into the .vsix', () => {
    const language = manifest.contributes.languages.find((l) => l.id === 'events');
    assert.deepEqual(language, {
      id: 'events',
      aliases: ['Events'],
      extensions: ['.events'],
      configuration: './language-configuration/events.json',
    });
    const grammar = manifest.contributes.grammars.find((g) => g.language === 'events');
    assert.deepEqual(grammar, { language: 'events', scopeName: 'source.events', path: './syntaxes/events.tmLanguage.json' });
    assert.equal(JSON.parse(readFileSync(join(REPO, grammar!.path), 'utf8')).scopeName, 'source.events');
    const configuration = JSON.parse(readFileSync(join(REPO, language!.configuration!), 'utf8'));
    assert.equal(configuration.comments.lineComment, '#');
    assert.match(
      manifest.scripts['test:grammar'],
      /vscode-tmgrammar-snap -g node_modules\/tm-grammars\/grammars\/json\.json "test\/grammar\/\*\.events"/,
    );
    // .vscodeignore is an allowlist ("**", then "!pattern" lines: scripts/package.mjs).
    const allowed = readFileSync(join(REPO, '.vscodeignore'), 'utf8')
      .split(/\r?\n/)
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1));
    for (const path of [grammar!.path, language!.configuration!].map((p) => p.replace(/^\.\//, ''))) {
      assert.ok(
        allowed.some((pattern) => matchesGlob(path, pattern)),
        `.vscodeignore lets ${path} into the package`,
      );
    }
  });
});
