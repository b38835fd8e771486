/**
 * Every command and every option of the command table, run through `dist/cli.js`: one case per
 * (command, option), checked complete against the table by the type checker and at run time;
 * malformed values exit 2 with one line; the completion scripts complete in bash, zsh and fish;
 * the README's command list is the table's.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { synopses, commandHelp, generalHelp } from '../src/cli/help';
import { COMMAND_NAMES, commandOptions, OPTIONS, type COMMANDS, type CommandName } from '../src/cli/spec';
import { writeDemoStore } from '../src/core/demo';
import { parseEventsFile } from '../src/core/eventsFile/eventsFile';
import { transcoded } from '../src/core/codecs/eventsourcing';
import { EventsourcingSqliteWriter, type StoredEventInput } from '../src/core/stores/eventsourcingSqliteWriter';
import { CLI, copyFixture, makeTempDir, removeTempDirs, runCli, type RunResult } from './helpers/cli';
import { FIXTURE_KEY } from './helpers/dumps';
import { mcpInput, mcpResults } from './helpers/mcpLines';
import { eventsourcingEnv, FIXTURE_PYTHON } from './helpers/python';
import { PERSON_A, PERSON_B, writeCustomTranscodingsStore } from './helpers/customTranscodings';

const ROOT = resolve(__dirname, '..');
const PROJECTION = join(ROOT, 'examples', 'bank-balances.js');
/** A stream of a_plain.db: Opened, Credited, Closed at positions 3, 10, 11. */
const STREAM = 'a588c5ee-627f-45e9-a6be-1b1a9da773c2';
/** The same account in c_aes_zlib.db (encrypted). */
const ENCRYPTED_STREAM = '254bbcd6-8b88-4d22-9462-07481ddfb9e1';
/** Rex, registered at position 13 of a_plain.db: a UUID, a datetime and a decimal nested in `details` (dumps.txt). */
const REX = '78ca13b9-623b-448e-a865-7729cfe366aa';
/** What `--typed` adds to Rex's registration: its kinds, by JSON pointer into data. */
const REX_KINDS = {
  '/timestamp': 'datetime',
  '/owner_id': 'uuid',
  '/born_on': 'datetime',
  '/details/nested/owner': 'uuid',
  '/details/nested/fee': 'decimal',
};
const EVENT_KEYS = ['streamId', 'revision', 'position', 'type', 'timestamp', 'data', 'metadata'];
type TypedEvent = { position: number; data: Record<string, unknown>; kinds: Record<string, string> };

/** The note the CLI prints once for an application transcoding shown as stored. */
const storedNote = (name: string) =>
  `eventscope: note: \`${name}\` is an application transcoding: shown as stored (--transcoding ${name}=KIND decodes it as decimal, uuid, datetime or date)`;
/** stderr's lines. */
const lines = (text: string) => text.split('\n').filter(Boolean);

function ok(r: RunResult): RunResult {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout.slice(0, 500)}`);
  return r;
}
const json = <T = Record<string, unknown>>(args: string[], env?: Record<string, string>): T =>
  JSON.parse(ok(runCli([...args, '--json'], { env })).stdout) as T;
const ndjson = (args: string[]) =>
  ok(runCli([...args, '--ndjson']))
    .stdout.trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** One stderr line `eventscope: …`, exit 2, nothing on stdout. */
function assertUsage(r: RunResult, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}\n${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^eventscope: [^\n]+ \(see "eventscope (\w+ )?--help"\)\n$/, r.stderr);
  assert.match(r.stderr, pattern);
}

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** Runs a bash completion: the words typed so far (the last one being completed) -> the candidates. */
function bashComplete(words: string[], cwd: string): string[] {
  const script = `source <(node ${JSON.stringify(CLI)} completion bash); COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _eventscope; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script, 'bash', ...words], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

/**
 * Drives zsh's real completion system in a pseudo-terminal (zsh/zpty): types `line`, presses Tab,
 * prints what `compadd` was given. After zsh-capture-completion (MIT). Emacs keys (`bindkey -e`):
 * with EDITOR=vi (npm sets it) zsh would start in vi mode.
 */
const ZSH_CAPTURE = `zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT='' RPROMPT=''"
zpty -w z "autoload -U compinit; compinit -u -D"
zpty -w z "source \${1}"
zpty -w z 'compadd () {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits == 0 )) && return 1
  builtin printf "<M>%s\\n" $__hits
}'
zpty -w z "bindkey -e; bindkey '^I' complete-word"
zpty -w z "echo READY''-READY"
local line
while zpty -r z line; do [[ $line == *READY-READY* ]] && break; done
zpty -w -n z "$2"$'\\t'
zpty -w -n z $'\\C-a\\C-k'
zpty -w z "echo DONE''-DONE"
while zpty -r z line; do
  [[ $line == *DONE-DONE* ]] && break
  [[ $line == *'<M>'* ]] && print -r -- \${\${line##*<M>}%%$'\\r'*}
done
zpty -d z
`;

type OptionsOf<C extends CommandName> = Extract<keyof (typeof COMMANDS)[C]['options'], string> | 'help';
/** One case per option of each command, and `<args>` for its arguments alone. */
type Cases = { [C in CommandName]: Record<OptionsOf<C> | '<args>', () => void | Promise<void>> };

describe('CLI: every command and option', function () {
  this.timeout(60_000);
  let dir: string;
  let plain: string;
  let encrypted: string;
  let counters: string;
  let demo: string;
  /** A store with application transcodings (test/helpers/customTranscodings.ts). */
  let custom: string;
  const withKey = { EVENTSCOPE_CIPHER_KEY: FIXTURE_KEY };

  before(() => {
    dir = makeTempDir();
    plain = copyFixture('a_plain.db', dir);
    encrypted = copyFixture('c_aes_zlib.db', dir);
    counters = copyFixture('a_plain_counters.db', dir);
    demo = join(dir, 'demo.sqlite');
    writeDemoStore(demo);
    custom = writeCustomTranscodingsStore(join(dir, 'custom.sqlite'));
  });
  after(removeTempDirs);

  const help = (command: CommandName) => () => assert.equal(ok(runCli([command, '--help'])).stdout, commandHelp(command));

  /**
   * A Python replay: its JSON checked when the eventsourcing library is importable; without it
   * (a clone with nothing beside it) the replay must say so in one line, exit 1.
   */
  const python = eventsourcingEnv();
  type PythonReplay = { steps: number; state: Record<string, unknown>; errors: { error: string }[] };
  const pythonReplay = (args: string[], check: (result: PythonReplay) => void): void => {
    if (!python) {
      const r = runCli(['replay', ...args]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^eventscope: Python could not load the eventsourcing library: ImportError: /);
      return;
    }
    const r = runCli(['replay', ...args, '--json'], { env: { PYTHONPATH: python.PYTHONPATH ?? '' } });
    const result = JSON.parse(r.stdout) as PythonReplay;
    // Exit 1 when the user's code threw (the JSON says where), else 0.
    assert.equal(r.code, result.errors.length ? 1 : 0, r.stderr);
    check(result);
  };

  /** `eventscope mcp ARGS` over stdin/stdout: the requests' results in order. */
  const mcpSession = (args: string[], requests: [string, Record<string, unknown>][]): Record<string, unknown>[] => {
    const r = runCli(['mcp', ...args], { input: mcpInput(requests), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    return mcpResults(r.stdout, requests.length).map((result, i) => {
      assert.ok(result, `no answer to request ${i + 1}: ${r.stdout}`);
      return result;
    });
  };

  const cases: Cases = {
    info: {
      '<args>': () => {
        const out = ok(runCli(['info', plain])).stdout;
        assert.match(out, /^Store\s+.*a_plain\.db$/m);
        assert.match(out, /^Events\s+21 \(head position 21\)$/m);
        assert.match(out, /\nCategories\n/);
      },
      upstream: () =>
        assert.deepEqual(json(['info', counters, '--upstream', plain]).checkpoints, [{ name: 'FixtureApp', position: 21, lag: 0 }]),
      json: () => {
        const info = json(['info', plain]);
        assert.equal(info.events, 21);
        assert.equal(info.streams, 5);
      },
      'cipher-key': () => {
        assert.equal((json(['info', encrypted, '--cipher-key', FIXTURE_KEY]).encoding as { encrypted: unknown }).encrypted, true);
        assert.equal((json(['info', encrypted]).encoding as { encrypted: unknown }).encrypted, 'unknown');
      },
      help: help('info'),
    },
    streams: {
      '<args>': () => {
        const lines = ok(runCli(['streams', plain]))
          .stdout.trimEnd()
          .split('\n');
        assert.equal(lines.length, 6);
        assert.match(lines[4], /^a588c5ee-627f-45e9-a6be-1b1a9da773c2 {2}Carol Müller +BankAccount +3 +3 +BankAccount\.Opened$/);
      },
      category: () => {
        assert.deepEqual(
          json<{ category: string }[]>(['streams', plain, '--category', 'Dog']).map((s) => s.category),
          ['Dog', 'Dog'],
        );
        // An unknown category: the same sentence and exit status as replay's.
        const unknown = runCli(['streams', plain, '--category', 'bankaccount']);
        assert.equal(unknown.code, 1);
        assert.equal(unknown.stdout, '');
        assert.match(unknown.stderr, /has no category "bankaccount"; its categories, closest first: BankAccount, Dog\.\n$/);
        const replay = runCli(['replay', plain, '--category', 'bankaccount']);
        assert.equal(replay.code, 1);
        assert.equal(replay.stderr, unknown.stderr);
      },
      prefix: () =>
        assert.deepEqual(
          json<{ streamId: string }[]>(['streams', plain, '--prefix', 'a588C5EE6']).map((s) => s.streamId),
          [STREAM],
        ),
      limit: () => {
        const two = runCli(['streams', plain, '--limit', '2', '--json']);
        assert.equal((JSON.parse(ok(two).stdout) as unknown[]).length, 2);
        assert.match(two.stderr, /^more streams: --after \S+\n$/);
        const all = runCli(['streams', plain, '--limit', '5', '--json']);
        assert.equal((JSON.parse(ok(all).stdout) as unknown[]).length, 5);
        assert.equal(all.stderr, '', 'no cursor after the last stream');
      },
      after: () => {
        const first = ok(runCli(['streams', plain, '--limit', '3']));
        const cursor = /More streams: add --after (\S+)\n$/.exec(first.stdout)?.[1];
        assert.ok(cursor, first.stdout);
        const rest = json<{ streamId: string }[]>(['streams', plain, '--after', cursor]);
        const all = json<{ streamId: string }[]>(['streams', plain]);
        assert.deepEqual(rest, all.slice(3));
      },
      json: () => {
        const streams = json<Record<string, unknown>[]>(['streams', plain]);
        assert.deepEqual(streams[0], {
          streamId: '33f13ce6-9974-4a17-b9f7-0ae011597a1a',
          category: 'BankAccount',
          count: 5,
          lastRevision: 5,
          firstType: 'eventsourcing.examples.bankaccounts.domainmodel:BankAccount.Opened',
          label: 'Bob Jones',
        });
      },
      ndjson: () => assert.deepEqual(ndjson(['streams', plain]), json(['streams', plain])),
      'cipher-key': () => {
        const labels = (env?: Record<string, string>, key: string[] = []) =>
          json<{ label?: string }[]>(['streams', encrypted, ...key], env).map((s) => s.label);
        assert.deepEqual(labels(), [undefined, undefined, undefined, undefined, undefined], 'ids and topics list without the key');
        assert.deepEqual(labels(undefined, ['--cipher-key', FIXTURE_KEY]), [
          'Carol Müller',
          'Fido',
          'Bob Jones',
          'Alice Smith',
          'Rex 🐶 Ærø',
        ]);
        assert.deepEqual(labels(withKey), labels(undefined, ['--cipher-key', FIXTURE_KEY]));
      },
      help: help('streams'),
    },
    events: {
      '<args>': () => {
        const lines = ok(runCli(['events', plain, STREAM]))
          .stdout.trimEnd()
          .split('\n');
        assert.match(lines[0], /^REV\s+POS\s+TYPE\s+TIME\s+DATA$/);
        assert.deepEqual(
          lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' ')),
          ['1 3 BankAccount.Opened', '2 10 BankAccount.Credited', '3 11 BankAccount.Closed'],
        );
      },
      from: () =>
        assert.deepEqual(
          json<{ revision: number }[]>(['events', plain, STREAM, '--from', '2']).map((e) => e.revision),
          [2, 3],
        ),
      limit: () =>
        assert.deepEqual(
          json<{ revision: number }[]>(['events', plain, STREAM, '--limit', '2']).map((e) => e.revision),
          [1, 2],
        ),
      backwards: () =>
        assert.deepEqual(
          json<{ revision: number }[]>(['events', plain, STREAM, '--backwards']).map((e) => e.revision),
          [3, 2, 1],
        ),
      json: () => {
        const events = json(['events', plain, STREAM]) as unknown as Record<string, unknown>[];
        assert.deepEqual(Object.keys(events[0]), ['streamId', 'revision', 'position', 'type', 'timestamp', 'data', 'metadata']);
        assert.equal((events[1].data as { amount: unknown }).amount, '1000');
      },
      ndjson: () => assert.deepEqual(ndjson(['events', plain, STREAM]), json(['events', plain, STREAM])),
      'events-format': () => {
        const parsed = parseEventsFile(ok(runCli(['events', plain, STREAM, '--events-format'])).stdout);
        assert.deepEqual(
          parsed.map((e) => [e.revision, e.type]),
          [
            [1, 'eventsourcing.examples.bankaccounts.domainmodel:BankAccount.Opened'],
            [2, 'eventsourcing.examples.bankaccounts.domainmodel:BankAccount.Credited'],
            [3, 'eventsourcing.examples.bankaccounts.domainmodel:BankAccount.Closed'],
          ],
        );
      },
      'cipher-key': () => {
        const events = json<{ data: { full_name?: string } }[]>(['events', encrypted, ENCRYPTED_STREAM, '--cipher-key', FIXTURE_KEY]);
        assert.equal(events[0].data.full_name, 'Carol Müller');
        assert.equal(runCli(['events', encrypted, ENCRYPTED_STREAM]).code, 1, 'no key: the events cannot be read');
      },
      typed: () => {
        const events = json<TypedEvent[]>(['events', plain, STREAM, '--typed']);
        assert.deepEqual(Object.keys(events[0]), [...EVENT_KEYS, 'kinds']);
        // dumps.txt: every timestamp a datetime_iso, the credit's amount the decimal_str "1000".
        assert.deepEqual(
          events.map((e) => e.kinds),
          [{ '/timestamp': 'datetime' }, { '/timestamp': 'datetime', '/amount': 'decimal' }, { '/timestamp': 'datetime' }],
        );
        assert.equal(events[1].data.amount, '1000');
        assert.deepEqual(
          events.map(({ kinds: _, ...e }) => e),
          json(['events', plain, STREAM]),
          'the same events, with kinds',
        );
        assert.deepEqual(ndjson(['events', plain, STREAM, '--typed']), events);
        assertUsage(runCli(['events', plain, STREAM, '--typed']), /--typed adds "kinds" to the JSON output: give --json or --ndjson too/);
      },
      transcoding: () => {
        const stored = runCli(['events', custom, PERSON_A, '--json']);
        const data = (JSON.parse(ok(stored).stdout) as TypedEvent[])[0].data;
        assert.deepEqual(data.born_on, { _type_: 'date_iso', _data_: '1990-04-01' }, 'shown as stored');
        assert.deepEqual(lines(stored.stderr), [storedNote('date_iso'), storedNote('frozenset')], 'one line per type');
        const mapped = runCli(['events', custom, PERSON_A, '--json', '--typed', '--transcoding', 'date_iso=date']);
        const [registered, moved] = JSON.parse(ok(mapped).stdout) as TypedEvent[];
        assert.equal(registered.data.born_on, '1990-04-01');
        assert.deepEqual(registered.kinds, { '/timestamp': 'datetime', '/born_on': 'date', '/tags': 'custom:frozenset' });
        assert.equal(moved.kinds['/moved_on'], 'date');
        assert.deepEqual(lines(mapped.stderr), [
          storedNote('frozenset'),
          'eventscope: note: `date_iso` values that are not a date (--transcoding date_iso=date) are shown as stored',
        ]);
        assertUsage(
          runCli(['events', custom, PERSON_A, '--transcoding', 'date_iso=time']),
          /--transcoding "date_iso=time": the kind must be one of decimal, uuid, datetime, date \(got "time"\)/,
        );
        assertUsage(runCli(['events', custom, PERSON_A, '--transcoding', 'date_iso']), /--transcoding "date_iso": expected NAME=KIND/);
      },
      help: help('events'),
    },
    log: {
      '<args>': () => {
        const lines = ok(runCli(['log', plain]))
          .stdout.trimEnd()
          .split('\n');
        assert.match(lines[0], /^POS\s+STREAM\s+REV\s+TYPE\s+TIME\s+DATA$/);
        assert.equal(lines.length, 22);
      },
      from: () =>
        assert.deepEqual(
          json<{ position: number }[]>(['log', plain, '--from', '20']).map((e) => e.position),
          [20, 21],
        ),
      limit: () =>
        assert.deepEqual(
          json<{ position: number }[]>(['log', plain, '--limit', '4', '--from', '2']).map((e) => e.position),
          [2, 3, 4, 5],
        ),
      type: () => {
        const types = json<{ type: string }[]>(['log', plain, '--type', 'Dog.Registered', '--type', 'Credited']).map((e) => e.type);
        assert.ok(types.length >= 3);
        assert.ok(
          types.every((t) => t.endsWith(':Dog.Registered') || t.endsWith('.Credited')),
          types.join(),
        );
        // A type the store has never seen: one sentence on stderr naming its types, closest first; exit 1.
        const unknown = runCli(['log', plain, '--type', 'Debitted', '--json']);
        assert.equal(unknown.code, 1);
        assert.equal(unknown.stdout, '');
        assert.match(unknown.stderr, /has no events of type "Debitted"; its event types, closest first: BankAccount\.Debited, /);
        // A type it has, that other filters leave out: no events, exit 0.
        assert.deepEqual(json(['log', plain, '--type', 'Debited', '--since', '100']), []);
      },
      stream: () => {
        const events = json<{ streamId: string; position: number }[]>(['log', plain, '--stream', STREAM]);
        assert.deepEqual(
          events.map((e) => e.position),
          [3, 10, 11],
        );
        // The start of an id names its stream; an ambiguous start names the candidates.
        assert.deepEqual(json(['log', plain, '--stream', 'a588c5']), events);
        const ambiguous = runCli(['log', plain, '--stream', 'a']);
        assert.equal(ambiguous.code, 1);
        assert.match(
          ambiguous.stderr,
          /"a" starts 2 stream ids in .*: a588c5ee-627f-45e9-a6be-1b1a9da773c2, af452e92-2545-47bf-857d-c67cfb0c07e5; give more of the id\./,
        );
      },
      since: () => {
        assert.deepEqual(
          json<{ position: number }[]>(['log', plain, '--since', '19']).map((e) => e.position),
          [19, 20, 21],
        );
        const all = json<{ position: number; timestamp: string }[]>(['log', plain]);
        const t = all[10].timestamp;
        const since = json<{ position: number }[]>(['log', plain, '--since', t]);
        assert.deepEqual(
          since.map((e) => e.position),
          all.filter((e) => Date.parse(e.timestamp) >= Date.parse(t)).map((e) => e.position),
        );
        assert.ok(since.length < all.length && since.length > 0);
        const bad = runCli(['log', plain, '--since', 'yesterday']);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /--since takes a position or an ISO time/);
      },
      until: () => {
        assert.deepEqual(
          json<{ position: number }[]>(['log', plain, '--since', '3', '--until', '5']).map((e) => e.position),
          [3, 4, 5],
        );
        const all = json<{ position: number; timestamp: string }[]>(['log', plain]);
        const t = all[5].timestamp;
        assert.deepEqual(
          json<{ position: number }[]>(['log', plain, '--until', t]).map((e) => e.position),
          all.filter((e) => Date.parse(e.timestamp) <= Date.parse(t)).map((e) => e.position),
        );
      },
      where: () => {
        const big = json<{ data: { amount: string } }[]>(['log', plain, '--where', 'Number(event.data.amount) >= 200']);
        assert.ok(big.length >= 2);
        assert.ok(big.every((e) => Number(e.data.amount) >= 200));
        // Sealed off: nothing of Node's is there, and code from strings does not compile.
        assert.deepEqual(json(['log', plain, '--where', 'typeof process !== "undefined" || typeof require !== "undefined"']), []);
        const escape = runCli(['log', plain, '--where', 'event.constructor.constructor("return process")().exit(7)', '--limit', '1']);
        assert.equal(escape.code, 0, escape.stderr);
        assert.match(escape.stderr, /Code generation from strings disallowed.*Such events count as no match\.\n$/);
        assert.equal(escape.stderr.split('\n').length, 2, 'said once');
        const bad = runCli(['log', plain, '--where', 'event.data.amount >']);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /The where expression "event\.data\.amount >" is not a JavaScript expression/);
      },
      backwards: () => {
        assert.deepEqual(
          json<{ position: number }[]>(['log', plain, '--backwards', '--limit', '3']).map((e) => e.position),
          [21, 20, 19],
        );
        assert.deepEqual(
          json<{ position: number }[]>(['log', plain, '--backwards', '--until', '5', '--since', '3']).map((e) => e.position),
          [5, 4, 3],
        );
      },
      follow: async () => {
        // A store a writer keeps appending to: `log --follow` prints what is there, then each new event.
        const path = join(makeTempDir(), 'live.sqlite');
        const writer = new EventsourcingSqliteWriter(path, { snapshots: false });
        const topic = 'bank.domain:Account';
        const event = (version: number): StoredEventInput => ({
          originatorId: '0123456789abcdef0123456789abcdef',
          version,
          topic: version === 1 ? `${topic}.Opened` : `${topic}.Credited`,
          state: { timestamp: transcoded.datetime('2026-01-01T00:00:00+00:00'), originator_topic: topic, n: version },
        });
        writer.append([event(1)]);
        const child = spawn(process.execPath, [CLI, 'log', path, '--follow', '--ndjson'], { env: { ...process.env, NO_COLOR: '1' } });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        const lines = async (n: number) => {
          for (let i = 0; i < 200 && out.split('\n').filter(Boolean).length < n; i++) await new Promise((r) => setTimeout(r, 50));
          return out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { revision: number });
        };
        try {
          assert.deepEqual(
            (await lines(1)).map((e) => e.revision),
            [1],
          );
          writer.append([event(2), event(3)]);
          assert.deepEqual(
            (await lines(3)).map((e) => e.revision),
            [1, 2, 3],
          );
        } finally {
          writer.close();
          child.kill('SIGINT');
        }
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        assert.equal(code, 0, 'Ctrl+C ends it quietly');
        assertUsage(runCli(['log', path, '--follow', '--json']), /--follow prints as it goes/);
        assertUsage(runCli(['log', path, '--follow', '--backwards']), /give only one of --backwards and --follow/);
      },
      json: () => assert.equal(json<unknown[]>(['log', plain]).length, 21),
      ndjson: () => assert.deepEqual(ndjson(['log', plain]), json(['log', plain])),
      'events-format': () => assert.equal(parseEventsFile(ok(runCli(['log', plain, '--events-format'])).stdout).length, 21),
      'cipher-key': () => {
        const events = json<{ data: Record<string, unknown> }[]>(['log', encrypted, '--cipher-key', FIXTURE_KEY]);
        assert.equal(events.length, 21);
        assert.deepEqual(json(['log', encrypted], withKey), events);
      },
      typed: () => {
        const events = json<TypedEvent[]>(['log', plain, '--typed']);
        assert.deepEqual(events.find((e) => e.position === 13)!.kinds, REX_KINDS);
        assert.deepEqual(
          events.map(({ kinds: _, ...e }) => e),
          json(['log', plain]),
        );
        // Read by two worker threads, the same bytes.
        const threads = (n: string) => ok(runCli(['log', plain, '--ndjson', '--typed'], { env: { EVENTSCOPE_CLI_THREADS: n } })).stdout;
        assert.equal(threads('2'), threads('1'));
        assert.deepEqual(JSON.parse(threads('1').split('\n')[12]), events[12]);
        assertUsage(runCli(['log', plain, '--typed']), /--typed adds "kinds" to the JSON output: give --json or --ndjson too/);
      },
      transcoding: () => {
        // Without a mapping: one line per application transcoding, however many events hold it.
        for (const threads of ['1', '2']) {
          const r = runCli(['log', custom, '--ndjson'], { env: { EVENTSCOPE_CLI_THREADS: threads } });
          assert.equal(ok(r).stdout.trimEnd().split('\n').length, 5);
          assert.deepEqual(lines(r.stderr), ['date_iso', 'frozenset', 'uuid_str', 'money_str'].map(storedNote), `${threads} thread(s)`);
        }
        const mappings = ['date_iso=datetime', 'uuid_str=uuid', 'money_str=decimal'].flatMap((m) => ['--transcoding', m]);
        const r = runCli(['log', custom, '--ndjson', '--typed', ...mappings]);
        const events = ok(r)
          .stdout.trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as TypedEvent);
        assert.deepEqual(
          [events[0].data.born_on, events[0].kinds['/born_on'], events[1].data.referrer, events[1].kinds['/referrer']],
          ['1990-04-01', 'datetime', '0000000a-0000-4000-8000-00000000000a', 'uuid'],
        );
        assert.deepEqual([events[3].data.amount, events[3].kinds['/amount']], ['-5.25', 'decimal']);
        // "someday" is no datetime: shown as stored, and said so.
        assert.deepEqual(
          [events[4].data.moved_on, events[4].kinds['/moved_on']],
          [{ _type_: 'date_iso', _data_: 'someday' }, 'custom:date_iso'],
        );
        assert.deepEqual(lines(r.stderr), [
          storedNote('frozenset'),
          'eventscope: note: `date_iso` values that are not a datetime (--transcoding date_iso=datetime) are shown as stored',
        ]);
        assertUsage(
          runCli(['log', custom, '--transcoding', 'decimal_str=date']),
          /--transcoding "decimal_str=date": "decimal_str" is one of the library's own transcodings/,
        );
        assertUsage(
          runCli(['log', custom, '--transcoding', 'date_iso=date', '--transcoding', 'date_iso=datetime']),
          /--transcoding maps date_iso twice \(to date and datetime\)/,
        );
      },
      help: help('log'),
    },
    show: {
      '<args>': () => {
        const out = ok(runCli(['show', plain, STREAM, '2'])).stdout;
        assert.match(out, /^Revision\s+2$/m);
        assert.match(out, /^Position\s+10$/m);
        assert.match(out, /\nData\n\{\n {2}"timestamp": /);
      },
      json: () => assert.deepEqual(json(['show', plain, STREAM, '2']), json<unknown[]>(['events', plain, STREAM])[1]),
      'cipher-key': () =>
        assert.equal(
          (json(['show', encrypted, ENCRYPTED_STREAM, '1', '--cipher-key', FIXTURE_KEY]).data as { full_name: string }).full_name,
          'Carol Müller',
        ),
      typed: () => {
        const event = json<TypedEvent>(['show', plain, REX, '1', '--typed']);
        assert.deepEqual(event.kinds, REX_KINDS);
        assert.deepEqual(event.data.details, {
          breed: 'Schäferhund',
          nested: { owner: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', fee: '9.99' },
        });
        assert.deepEqual(event, json<TypedEvent[]>(['log', plain, '--typed'])[12]);
        assertUsage(runCli(['show', plain, REX, '1', '--typed']), /--typed adds "kinds" to the JSON output: give --json too/);
      },
      transcoding: () => {
        const r = runCli(['show', custom, PERSON_B, '1', '--json', '--typed', '--transcoding', 'uuid_str=uuid']);
        const event = JSON.parse(ok(r).stdout) as TypedEvent;
        assert.deepEqual([event.data.referrer, event.kinds['/referrer']], ['0000000a-0000-4000-8000-00000000000a', 'uuid']);
        assert.deepEqual(lines(r.stderr), [storedNote('date_iso'), storedNote('frozenset')]);
      },
      help: help('show'),
    },
    replay: {
      '<args>': () => {
        const out = ok(runCli(['replay', demo])).stdout;
        assert.match(out, /^Projection\s+Generic/m);
        assert.match(out, /^Steps\s+330 in \d+ ms$/m);
      },
      projection: () => {
        const result = json<{ firstFailure: { type: string; error: string } }>(['replay', demo, '--projection', PROJECTION]);
        assert.match(result.firstFailure.type, /Debited$/);
        assert.match(result.firstFailure.error, /Dana Whitfield's balance is -/);
      },
      stream: () => {
        const id = json<{ streamId: string }[]>(['streams', demo, '--category', 'Dog', '--limit', '1'])[0].streamId;
        const count = json<unknown[]>(['events', demo, id]).length;
        assert.equal(json(['replay', demo, '--stream', id]).steps, count);
      },
      category: () => {
        const dogs = json<{ count: number }[]>(['streams', demo, '--category', 'Dog']);
        assert.equal(
          json(['replay', demo, '--category', 'Dog']).steps,
          dogs.reduce((n, s) => n + s.count, 0),
        );
      },
      all: () => assert.equal(json(['replay', demo, '--all']).steps, 330),
      'until-invariant-fails': () => {
        // Exit status 3 when the invariant breaks (a CI check), with one line on stderr.
        const r = runCli(['replay', demo, '--projection', PROJECTION, '--until-invariant-fails', '--json']);
        assert.equal(r.code, 3, r.stderr);
        assert.match(
          r.stderr,
          /^eventscope: the invariant fails after event #226 \(.*Debited, .*\): Dana Whitfield's balance is -787\.93\n$/,
        );
        const result = JSON.parse(r.stdout) as { steps: number; firstFailure: { index: number }; context: { step: number } };
        assert.equal(result.steps, result.firstFailure.index + 1);
        assert.equal(result.context.step, result.steps);
        assert.ok(result.steps < 330);
        // It holds throughout: exit 0, no context.
        assert.equal(json(['replay', demo, '--invariant', 'true', '--until-invariant-fails']).context, undefined);
      },
      context: () => {
        const r = runCli(['replay', demo, '--projection', PROJECTION, '--until-invariant-fails', '--context', '1']);
        assert.equal(r.code, 3, r.stderr);
        assert.match(
          r.stdout,
          /\nBefore it in stream 8b79390a-067d-4256-b73f-49fc19028af3: the last event\nSTEP +REV +POS +TYPE +TIME +DATA\n225 +9 +225 +BankAccount\.Debited /,
        );
        const none = runCli(['replay', demo, '--projection', PROJECTION, '--until-invariant-fails', '--context', '0', '--json']);
        assert.deepEqual((JSON.parse(none.stdout) as { context: { preceding: unknown[] } }).context.preceding, []);
        assertUsage(runCli(['replay', demo, '--context', '2']), /--context needs --until-invariant-fails/);
        assertUsage(runCli(['replay', demo, '--until-invariant-fails', '--context', '-1']), /--context/);
      },
      invariant: () => {
        const events = json<{ revision: number; position: number }[]>(['log', demo, '--json', '--limit', '1000']);
        const first = events.findIndex((e) => e.revision >= 5);
        const stopped = runCli(['replay', demo, '--invariant', 'event.revision < 5', '--until-invariant-fails', '--json']);
        assert.equal(stopped.code, 3, stopped.stderr);
        const result = JSON.parse(stopped.stdout) as { steps: number; firstFailure: { index: number; position: number; error: string } };
        assert.equal(result.firstFailure.index, first);
        assert.equal(result.firstFailure.position, events[first].position);
        assert.match(result.firstFailure.error, /event\.revision < 5 is false/);
        assert.equal(result.steps, first + 1);
        // It replaces the projection's own invariant: one that always holds finds nothing.
        assert.equal(json(['replay', demo, '--projection', PROJECTION, '--invariant', 'true']).firstFailure, null);
      },
      'time-budget': () => {
        const loop = join(dir, 'loop.js');
        writeFileSync(loop, 'export default { init: () => ({}), when: { Credited: () => { for (;;); } } };\n');
        const r = runCli(['replay', demo, '--projection', loop, '--time-budget', '100']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^eventscope: .*100 ms/);
      },
      json: () => assert.deepEqual(Object.keys(json(['replay', plain])), ['steps', 'state', 'firstFailure', 'breaks', 'errors']),
      'cipher-key': () => assert.equal(json(['replay', encrypted, '--cipher-key', FIXTURE_KEY]).steps, 21),
      python: () =>
        pythonReplay([plain, '--python', '--stream', STREAM], (r) => {
          // The account's own class replayed it: its attributes, closed by its last event.
          assert.equal(r.steps, 3);
          assert.deepEqual([r.state.id, r.state.version, r.state.full_name, r.state.is_closed], [STREAM, 3, 'Carol Müller', true]);
        }),
      app: () => {
        pythonReplay(
          [plain, '--python', '--app', 'dogschool.application:FixtureApp', '--python-path', FIXTURE_PYTHON, '--category', 'Dog'],
          (r) => {
            assert.equal(r.errors.length, 0);
            assert.equal(Object.keys(r.state).length, 2);
          },
        );
        const wrong = runCli(['replay', plain, '--python', '--app', 'nosuch.module:App'], {
          env: { PYTHONPATH: python?.PYTHONPATH ?? '' },
        });
        assert.equal(wrong.code, 1);
        assert.match(
          wrong.stderr,
          python
            ? /^eventscope: Python could not load nosuch\.module:App: TopicError: Failed to resolve topic 'nosuch\.module:App': No module named 'nosuch' \(sys\.path: .*\)\.\n$/
            : /Python could not load/,
        );
      },
      policy: () => {
        // The fixtures' Counters process application, replayed over the log it followed: a counter per trick.
        pythonReplay([plain, '--python', '--app', 'dogschool.application:Counters', '--policy', '--python-path', FIXTURE_PYTHON], (r) => {
          assert.equal(r.steps, 21);
          const counters = Object.values(r.state) as { name: string; count: number }[];
          assert.deepEqual(counters.map((c) => c.name).sort(), ['fetch ball', 'play dead', 'roll over', 'sit']);
          assert.equal(
            counters.reduce((n, c) => n + c.count, 0),
            5,
          );
        });
        const r = runCli(['replay', plain, '--python', '--policy']);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--policy replays the policy of the application --app names/);
      },
      mutator: () => {
        // The library's functional (Pydantic) aggregates: applied by its mutate_dog, decoded by its DogSchool.
        const pydantic = python && spawnSync('python3', ['-c', 'import pydantic, orjson'], { env: python }).status === 0;
        const args = [
          copyFixture('d_pydantic_orjson.db', dir),
          '--python',
          '--app',
          'eventsourcing.examples.aggregate7.application:DogSchool',
          '--mutator',
          'eventsourcing.examples.aggregate7.domainmodel:mutate_dog',
        ];
        if (python && !pydantic) {
          const r = runCli(['replay', ...args], { env: { PYTHONPATH: python.PYTHONPATH ?? '' } });
          assert.equal(r.code, 1);
          assert.match(r.stderr, /No module named '(pydantic|orjson)'/);
          return;
        }
        pythonReplay(args, (r) => {
          assert.deepEqual(r.errors, []);
          const [dog] = Object.values(r.state) as { name: string; version: number; tricks: { name: string }[] }[];
          assert.deepEqual([dog.name, dog.version, dog.tricks.map((t) => t.name)], ['Fido', 4, ['roll over', 'play dead', 'fetch ball']]);
        });
      },
      'python-path': () => {
        // The Dog class is in the fixtures' own code: found on the path given, missing without it.
        pythonReplay([plain, '--python', '--python-path', FIXTURE_PYTHON, '--category', 'Dog'], (r) => assert.deepEqual(r.errors, []));
        pythonReplay([plain, '--python', '--category', 'Dog'], (r) => assert.match(r.errors[0].error, /No module named 'dogschool'/));
      },
      interpreter: () => {
        pythonReplay([plain, '--python', '--interpreter', 'python3', '--stream', STREAM], (r) => assert.equal(r.steps, 3));
        const missing = runCli(['replay', plain, '--python', '--interpreter', join(dir, 'no-python')]);
        assert.equal(missing.code, 1);
        assert.match(
          missing.stderr,
          /^eventscope: There is no Python interpreter ".*no-python": set eventscope\.python\.interpreter, or EVENTSCOPE_PYTHON\.\n$/,
        );
      },
      dotenv: () => {
        const zlib = copyFixture('b_zlib.db', dir);
        const envFile = join(dir, 'zlib.env');
        writeFileSync(envFile, 'COMPRESSOR_TOPIC=eventsourcing.compressor:ZlibCompressor\n');
        pythonReplay([zlib, '--python', '--dotenv', envFile, '--python-path', FIXTURE_PYTHON], (r) => {
          assert.equal(r.steps, 21);
          assert.deepEqual(r.errors, []);
        });
        // Without the app's settings, its compressed states can't be read.
        pythonReplay([zlib, '--python', '--python-path', FIXTURE_PYTHON], (r) => assert.ok(r.errors.length > 0));
        const absent = runCli(['replay', zlib, '--python', '--dotenv', join(dir, 'none.env')]);
        assert.equal(absent.code, 1);
        assert.match(absent.stderr, /none\.env: can't read the \.env file/);
      },
      typed: () => {
        // The generic projection copies Rex's fields into its state: their kinds come along.
        const result = json<{ state: unknown; kinds: Record<string, string> }>(['replay', plain, '--stream', REX, '--typed']);
        const keys = Object.keys(result);
        assert.equal(keys.indexOf('kinds'), keys.indexOf('state') + 1, `kinds after state: ${keys.join()}`);
        assert.ok(!Object.hasOwn(json(['replay', plain, '--stream', REX]), 'kinds'), 'only with --typed');
        const fields = `/streams/${REX}/fields`;
        assert.deepEqual(result.kinds, {
          ...Object.fromEntries(Object.entries(REX_KINDS).map(([path, kind]) => [fields + path, kind])),
          [`${fields}/weight`]: 'decimal',
        });
        assert.deepEqual(result.state, json(['replay', plain, '--stream', REX]).state);
        // bank-balances.js counts cents in numbers: nothing to type.
        assert.deepEqual(json(['replay', demo, '--projection', PROJECTION, '--typed']).kinds, {});
        // Where it stops: the failing event and its stream's events before it, with their kinds.
        const stopped = runCli(['replay', demo, '--projection', PROJECTION, '--until-invariant-fails', '--json', '--typed']);
        const { context } = JSON.parse(stopped.stdout) as { context: { event: TypedEvent; preceding: TypedEvent[] } };
        assert.deepEqual([context.event.kinds['/amount'], context.event.kinds['/transaction_id']], ['decimal', 'uuid']);
        assert.ok(context.preceding.length > 0 && context.preceding.every((e) => e.kinds['/timestamp'] === 'datetime'));
        assertUsage(runCli(['replay', plain, '--typed']), /--typed adds "kinds" to the JSON output: give --json too/);
        // A Python replay's aggregates hold the library's own types: their kinds, per stream for a category.
        if (python) {
          const typed = (args: string[]) =>
            (
              JSON.parse(
                ok(runCli(['replay', plain, '--python', ...args, '--json', '--typed'], { env: { PYTHONPATH: python.PYTHONPATH ?? '' } }))
                  .stdout,
              ) as {
                kinds: Record<string, string>;
              }
            ).kinds;
          const account = {
            '/id': 'uuid',
            '/created_on': 'datetime',
            '/modified_on': 'datetime',
            '/balance': 'decimal',
            '/overdraft_limit': 'decimal',
          };
          assert.deepEqual(typed(['--stream', STREAM]), account);
          const all = typed(['--category', 'BankAccount']);
          for (const [path, kind] of Object.entries(account)) assert.equal(all[`/${STREAM}${path}`], kind, path);
        }
      },
      transcoding: () => {
        const r = runCli(['replay', custom, '--json', '--typed', '--transcoding', 'date_iso=date']);
        const result = JSON.parse(ok(r).stdout) as {
          kinds: Record<string, string>;
          state: { streams: Record<string, { fields: Record<string, unknown> }> };
        };
        assert.equal(result.state.streams[PERSON_B].fields.born_on, '1985-12-31');
        assert.equal(result.kinds[`/streams/${PERSON_B}/fields/born_on`], 'date');
        // The replay worker found them: said once each.
        assert.deepEqual(lines(r.stderr).sort(), [
          'eventscope: note: `date_iso` values that are not a date (--transcoding date_iso=date) are shown as stored',
          ...['frozenset', 'money_str', 'uuid_str'].map(storedNote),
        ]);
      },
      help: help('replay'),
    },
    demo: {
      '<args>': () => {
        const path = join(dir, 'sub', 'demo-a.sqlite');
        assert.equal(ok(runCli(['demo', path])).stdout, `${path}\n`);
        assert.ok(existsSync(path));
      },
      force: () => {
        const path = join(dir, 'demo-b.sqlite');
        ok(runCli(['demo', path]));
        assert.match(runCli(['demo', path]).stderr, /already exists; pass --force/);
        ok(runCli(['demo', path, '--force']));
      },
      json: () =>
        assert.deepEqual(json(['demo', join(dir, 'demo-c.sqlite')]), { path: join(dir, 'demo-c.sqlite'), events: 330, streams: 18 }),
      help: help('demo'),
    },
    mcp: {
      '<args>': () => {
        const [tools, info] = mcpSession(
          [],
          [
            ['tools/list', {}],
            ['tools/call', { name: 'store_info', arguments: {} }],
          ],
        );
        assert.equal((tools.tools as unknown[]).length, 8);
        assert.equal(info.isError, true);
        assert.match(JSON.stringify(info.content), /Name a store/);
        const [named] = mcpSession([], [['tools/call', { name: 'store_info', arguments: { store: plain } }]]);
        assert.equal((named.structuredContent as { events: number }).events, 21);
      },
      store: () => {
        const [first, second] = mcpSession(
          ['--store', plain, '--store', counters],
          [
            ['tools/call', { name: 'store_info', arguments: {} }],
            ['tools/call', { name: 'store_info', arguments: { store: counters } }],
          ],
        );
        assert.equal((first.structuredContent as { store: string }).store, plain);
        assert.equal((second.structuredContent as { store: string }).store, counters);
      },
      'allow-code': () => {
        const call: [string, Record<string, unknown>] = [
          'tools/call',
          { name: 'replay', arguments: { projection: resolve('examples/bank-balances.js') } },
        ];
        const [refused] = mcpSession(['--store', plain], [call]);
        assert.equal(refused.isError, true);
        assert.match(JSON.stringify(refused.content), /started without --allow-code/);
        const [ran] = mcpSession(['--store', plain, '--allow-code'], [call]);
        assert.equal(ran.isError, undefined, JSON.stringify(ran.content));
        assert.equal((ran.structuredContent as { steps: number }).steps, 21);
      },
      help: help('mcp'),
    },
    completion: {
      '<args>': () => {
        for (const shell of ['bash', 'zsh', 'fish'])
          assert.ok(ok(runCli(['completion', shell])).stdout.includes(`# ${shell} completion for eventscope`));
        assert.deepEqual(bashComplete(['eventscope', 'lo'], dir), ['log']);
      },
      help: help('completion'),
    },
    help: {
      '<args>': () => {
        assert.equal(ok(runCli(['help'])).stdout, generalHelp());
        assert.equal(ok(runCli(['help', 'log'])).stdout, commandHelp('log'));
        assert.equal(ok(runCli(['log', '-h'])).stdout, commandHelp('log'));
      },
      help: () => assert.equal(ok(runCli(['help', '--help'])).stdout, commandHelp('help')),
    },
  };

  it('has one case per option of each command in the table (no more, no fewer)', () => {
    for (const command of COMMAND_NAMES) {
      assert.deepEqual(Object.keys(cases[command]).sort(), ['<args>', ...commandOptions(command).map((o) => o.name)].sort(), command);
    }
  });

  for (const command of COMMAND_NAMES) {
    for (const [option, check] of Object.entries(cases[command] as Record<string, () => void | Promise<void>>)) {
      it(`${command} ${option === '<args>' ? '(arguments)' : `--${option}`}`, check);
    }
  }

  it('--version, --help, and no command at all', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(ok(runCli(['--version'])).stdout, `${pkg.version}\n`);
    assert.equal(ok(runCli(['--help'])).stdout, generalHelp());
    const none = runCli([]);
    assert.equal(none.code, 2);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, generalHelp());
  });

  it('malformed values and unknown options: exit 2, one line on stderr', () => {
    const cases: [string[], RegExp][] = [
      [['log', plain, '--limit', '-1'], /--limit must be an integer >= 1 \(got "-1"\)/],
      [['streams', plain, '--limit', '-5'], /--limit must be an integer >= 1/],
      [['events', plain, STREAM, '--limit', 'abc'], /--limit must be an integer >= 1 \(got "abc"\)/],
      [['log', plain, '--limit', '0'], /--limit must be an integer >= 1 \(got "0"\)/],
      [['log', plain, '--limit', '2.5'], /--limit must be an integer/],
      [['log', plain, '--limit'], /--limit needs a value/],
      [['log', plain, '--from', '-1'], /--from must be an integer >= 0 \(got "-1"\)/],
      [['events', plain, STREAM, '--from', 'two'], /--from must be an integer >= 0/],
      [['show', plain, STREAM, 'two'], /the revision must be an integer >= 0 \(got "two"\)/],
      [['show', plain, STREAM, '-2'], /the revision must be an integer >= 0 \(got "-2"\)/],
      [['streams', plain, '--after', 'garbage'], /--after "garbage" is not a cursor/],
      [['replay', demo, '--time-budget', 'fast'], /--time-budget must be an integer >= 1/],
      [['log', plain, '--cipher-key', ''], /--cipher-key is empty/],
      [['log', plain, '--bogus'], /unknown option --bogus/],
      [['log', plain, '-q'], /unknown option -q/],
      [['log', plain, '--limit', '1', '--limit', '2'], /--limit takes one value \(got "1" and "2"\)/],
      [['replay', demo, '--stream', 'a', '--stream=b'], /--stream takes one value \(got "a" and "b"\)/],
      [['info', plain, '--limit', '3'], /"info" has no option --limit/],
      [['log', plain, '--json', '--events-format'], /give only one of --json, --ndjson and --events-format/],
      [['streams', plain, '--ndjson', '--json'], /give only one of --json and --ndjson/],
      [['replay', demo, '--all', '--category', 'Dog'], /give only one of --stream, --category and --all/],
      [['completion', 'powershell'], /the shell must be one of bash, zsh, fish/],
      [['completion'], /"completion" takes 1 argument \(<shell>\), got 0/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [args, pattern] of cases) assertUsage(runCli(args), pattern);
  });

  describe('completion in the shells', () => {
    it('bash: commands, options of the command, files for <store>, fixed values, nothing for free values', () => {
      const files = makeTempDir();
      for (const name of ['app.sqlite', 'app-copy.sqlite', 'bank.js', 'other.db']) writeFileSync(join(files, name), '');
      assert.deepEqual(bashComplete(['eventscope', 'lo'], files), ['log']);
      assert.deepEqual(bashComplete(['eventscope', ''], files), [...COMMAND_NAMES, '--help', '--version', '-h'].sort());
      assert.deepEqual(bashComplete(['eventscope', 'log', 'app.sqlite', '--l'], files), ['--limit']);
      assert.deepEqual(
        bashComplete(['eventscope', 'streams', '--'], files),
        commandOptions('streams')
          .map((o) => `--${o.name}`)
          .sort(),
      );
      assert.deepEqual(bashComplete(['eventscope', 'info', 'app'], files), ['app-copy.sqlite', 'app.sqlite']);
      assert.deepEqual(bashComplete(['eventscope', 'info', '--upstream', 'o'], files), ['other.db']);
      assert.deepEqual(bashComplete(['eventscope', 'replay', 'app.sqlite', '--projection', 'b'], files), ['bank.js']);
      assert.deepEqual(bashComplete(['eventscope', 'log', '--from', '3', 'o'], files), ['other.db'], 'an option value is not an argument');
      assert.deepEqual(bashComplete(['eventscope', 'log', '--limit', ''], files), [], 'nothing to offer for N');
      assert.deepEqual(bashComplete(['eventscope', 'events', 'app.sqlite', ''], files), [], 'no files for a stream id');
      assert.deepEqual(bashComplete(['eventscope', 'completion', ''], files), ['bash', 'fish', 'zsh']);
      assert.deepEqual(bashComplete(['eventscope', 'help', 'st'], files), ['streams']);
    });

    it('zsh: the script loads and completes through compsys (skipped without zsh)', function () {
      if (!has('zsh')) this.skip();
      const script = join(dir, '_eventscope');
      writeFileSync(script, ok(runCli(['completion', 'zsh'])).stdout);
      assert.equal(spawnSync('zsh', ['-n', script]).status, 0, 'zsh -n: no syntax error');
      const capture = join(dir, 'capture.zsh');
      writeFileSync(capture, ZSH_CAPTURE);
      const complete = (line: string) => {
        const r = spawnSync('zsh', ['-f', capture, script, line], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
        assert.equal(r.status, 0, `${line}: ${r.stderr} ${r.stdout}`);
        return r.stdout.split('\n').filter(Boolean).sort();
      };
      assert.deepEqual(complete('eventscope lo'), ['log']);
      assert.deepEqual(complete('eventscope log --li'), ['--limit']);
      assert.deepEqual(complete('eventscope completion '), ['bash', 'fish', 'zsh']);
      assert.ok(complete('eventscope info c_').includes('c_aes_zlib.db'));
    });

    it('fish: the script loads and completes (skipped without fish)', function () {
      if (!has('fish')) this.skip();
      const script = join(dir, 'eventscope.fish');
      writeFileSync(script, ok(runCli(['completion', 'fish'])).stdout);
      assert.equal(spawnSync('fish', ['-n', script]).status, 0, 'fish -n: no syntax error');
      const complete = (line: string) => {
        const r = spawnSync('fish', ['-c', `source ${script}; complete -C ${JSON.stringify(line)}`], { cwd: dir, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0])
          .sort();
      };
      assert.deepEqual(complete('eventscope lo'), ['log']);
      assert.deepEqual(complete('eventscope log --li'), ['--limit']);
      assert.deepEqual(complete('eventscope completion '), ['bash', 'fish', 'zsh']);
      assert.ok(complete('eventscope info c_').includes('c_aes_zlib.db'));
      assert.deepEqual(complete(`eventscope events ${plain} `), [], 'no files for a stream id');
    });
  });

  it("the README's command list is the table's synopses, and names no option the table lacks", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## The `eventscope` command'),
      readme.indexOf('\n## ', readme.indexOf('## The `eventscope` command') + 5),
    );
    const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
    assert.equal(block, `${synopses()}\n`, 'README.md: paste the output of `synopses()` (the "Synopsis" part of eventscope --help)');
    for (const [, name] of section.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)) {
      assert.ok(Object.hasOwn(OPTIONS, name), `README.md names --${name}, which no command has`);
    }
  });
});
