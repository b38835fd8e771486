/**
 * The CLI's parts in-process: the output module's backpressure, the progress line, the `--after`
 * cursor, the command-line parser, the generated help and completion scripts.
 */

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { parseCommandLine, UsageError, type CommandLine } from '../src/cli/args';
import { completionScript } from '../src/cli/completion';
import { CursorError, decodeStreamCursor, encodeStreamCursor } from '../src/core/query/cursor';
import { commandHelp, generalHelp, synopses } from '../src/cli/help';
import { CHUNK_SIZE, Output } from '../src/cli/output';
import { Progress, progressFor } from '../src/cli/progress';
import { COMMAND_NAMES, commandOptions } from '../src/cli/spec';

/**
 * A writable that takes `rate` characters every millisecond, like a slow reader behind a pipe:
 * `write` returns false once more than `highWaterMark` is queued, and 'drain' follows when the
 * queue is empty again. Records the most it ever queued.
 */
class SlowSink extends EventEmitter {
  queued = 0;
  maxQueued = 0;
  received: string[] = [];
  private needDrain = false;
  private timer: NodeJS.Timeout;

  constructor(
    readonly highWaterMark: number,
    rate: number,
  ) {
    super();
    this.timer = setInterval(() => {
      this.queued = Math.max(0, this.queued - rate);
      if (this.queued === 0 && this.needDrain) {
        this.needDrain = false;
        this.emit('drain');
      }
    }, 1);
  }

  write(chunk: string): boolean {
    this.received.push(chunk);
    this.queued += chunk.length;
    this.maxQueued = Math.max(this.maxQueued, this.queued);
    if (this.queued > this.highWaterMark) this.needDrain = true;
    return !this.needDrain;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

describe('CLI output: chunks and backpressure', () => {
  it('never buffers more than a chunk and an item, and waits for the reader (a slow fake stream)', async () => {
    const sink = new SlowSink(16 * 1024, 64 * 1024);
    const output = new Output(sink);
    const item = (i: number) => `{"i":${i},"pad":"${'x'.repeat(200 + (i % 50))}"}\n`;
    const big = `${'y'.repeat(200_000)}\n`;
    let written = 0;
    let maxBuffered = 0;
    let waits = 0;
    try {
      for (let i = 0; i < 30_000; i++) {
        const text = i === 12_345 ? big : item(i);
        written += text.length;
        const waiting = output.write(text);
        maxBuffered = Math.max(maxBuffered, output.buffered);
        if (waiting) {
          waits++;
          await waiting;
        }
      }
      await output.end();
    } finally {
      sink.stop();
    }
    const received = sink.received.join('');
    assert.equal(received.length, written);
    assert.ok(received.startsWith(item(0) + item(1)));
    assert.ok(waits > 10, `the writer waited for the reader (${waits} times)`);
    assert.ok(maxBuffered < CHUNK_SIZE + big.length, `buffered ${maxBuffered}`);
    // The stream holds at most its high-water mark plus one chunk (the big item is a chunk by itself).
    assert.ok(sink.maxQueued <= sink.highWaterMark + CHUNK_SIZE + big.length, `queued ${sink.maxQueued}`);
    assert.ok(sink.received.every((c) => c.length <= CHUNK_SIZE + big.length));
  });

  it('gathers small writes into chunks and flushes the rest at the end', async () => {
    const sink = new SlowSink(1 << 30, 1 << 30);
    try {
      const output = new Output(sink, 100);
      for (let i = 0; i < 95; i++) assert.equal(output.write('ab'), undefined); // not awaited: one-off writes
      assert.equal(sink.received.length, 1, 'one chunk of 100 went out');
      assert.equal(output.buffered, 90);
      await output.end();
      assert.equal(sink.received.join(''), 'ab'.repeat(95));
    } finally {
      sink.stop();
    }
  });

  it('rejects a waiting write when the reader goes away (EPIPE)', async () => {
    const sink = new SlowSink(0, 0);
    try {
      const output = new Output(sink, 10);
      const waiting = output.write('x'.repeat(20));
      assert.ok(waiting);
      sink.emit('close');
      await assert.rejects(waiting, { code: 'EPIPE' });
    } finally {
      sink.stop();
    }
  });
});

describe('CLI progress line', () => {
  const clock = () => {
    const c = { t: 0, now: () => c.t };
    return c;
  };

  it('draws after the delay, at most 10 times a second, and clears the line at the end', () => {
    const c = clock();
    const writes: string[] = [];
    const progress = new Progress({ write: (s: string) => writes.push(s) }, 'events', { now: c.now });
    progress.add(1000);
    assert.deepEqual(writes, [], 'nothing for a short read');
    c.t = 300;
    progress.add(1000);
    assert.deepEqual(writes, ['\r\x1b[K 2,000 events…']);
    c.t = 350;
    progress.add(118_000);
    assert.equal(writes.length, 1);
    c.t = 401;
    progress.add(1000);
    assert.equal(writes.at(-1), '\r\x1b[K 121,000 events…');
    for (let t = 402; t < 10_402; t++) {
      c.t = t;
      progress.add(1);
    }
    assert.ok(writes.length <= 2 + 100, `${writes.length} redraws in 10 s`);
    progress.done();
    assert.equal(writes.at(-1), '\r\x1b[K');
  });

  it('writes nothing at the end when nothing was drawn', () => {
    const writes: string[] = [];
    const progress = new Progress({ write: (s: string) => writes.push(s) }, 'streams');
    progress.add(5);
    progress.done();
    assert.deepEqual(writes, []);
  });

  it('shows only when stderr is a terminal and stdout is not; EVENTSCOPE_PROGRESS=1/0 forces it on/off', () => {
    const streams = (stderr: boolean, stdout: boolean) => ({ stdout: { isTTY: stdout }, stderr: { isTTY: stderr, write: () => true } });
    assert.ok(progressFor('events', {}, streams(true, false)));
    assert.equal(progressFor('events', {}, streams(true, true)), undefined);
    assert.equal(progressFor('events', {}, streams(false, false)), undefined);
    assert.ok(progressFor('events', { EVENTSCOPE_PROGRESS: '1' }, streams(false, false)));
    assert.equal(progressFor('events', { EVENTSCOPE_PROGRESS: '0' }, streams(true, false)), undefined);
  });
});

describe('CLI --after cursors', () => {
  it('carry the store cursor, the last stream and the filters; anything else is refused', () => {
    const text = encodeStreamCursor('eyJhZnRlciI6IngifQ', '7d6c8a9e-1f2b-4c3d-8e9f-0a1b2c3d4e5f', { category: 'Dog' });
    const cursor = decodeStreamCursor(text);
    assert.equal(cursor.storeCursor, 'eyJhZnRlciI6IngifQ');
    assert.equal(cursor.lastStreamId, '7d6c8a9e-1f2b-4c3d-8e9f-0a1b2c3d4e5f');
    assert.notEqual(cursor.tag, decodeStreamCursor(encodeStreamCursor('c', 'x', {})).tag);
    for (const bad of ['', 'garbage', 'eyJhZnRlciI6IngifQ', `x${text}`, text.replace('.', ''), 'abcdefgh..c', 'abcdefgh.!!.c']) {
      assert.throws(() => decodeStreamCursor(bad), CursorError, bad);
    }
  });
});

describe('CLI command line', () => {
  const run = (argv: string[]) => {
    const line = parseCommandLine(argv);
    assert.equal(line.kind, 'run');
    return line as Extract<CommandLine, { kind: 'run' }>;
  };
  const usage = (argv: string[], pattern: RegExp) =>
    assert.throws(
      () => parseCommandLine(argv),
      (e: unknown) => e instanceof UsageError && pattern.test(e.message) && !e.message.includes('\n'),
      argv.join(' '),
    );

  it('parses options anywhere, --name=value, repeated options, and -- before arguments', () => {
    const line = run(['log', '--limit=20', 'store.db', '--type', 'A', '--type=B', '--from', '0', '--ndjson']);
    assert.deepEqual(line.args, ['store.db']);
    assert.deepEqual(line.values, { limit: 20, type: ['A', 'B'], from: 0, ndjson: true });
    assert.deepEqual(run(['events', 'store.db', '--', '-odd-id']).args, ['store.db', '-odd-id']);
    assert.deepEqual(parseCommandLine(['log', '--help', '--limit', 'abc']), { kind: 'help', command: 'log' });
    assert.deepEqual(parseCommandLine(['help', 'streams']), { kind: 'help', command: 'streams' });
    assert.deepEqual(parseCommandLine(['-h']), { kind: 'help', command: undefined });
    assert.deepEqual(parseCommandLine(['--version']), { kind: 'version' });
    assert.deepEqual(parseCommandLine([]), { kind: 'usage' });
  });

  it('refuses malformed values with one line naming the option and what was given', () => {
    usage(['log', 's', '--limit', '-1'], /^--limit must be an integer >= 1 \(got "-1"\)$/);
    usage(['log', 's', '--limit', 'abc'], /^--limit must be an integer >= 1 \(got "abc"\)$/);
    usage(['log', 's', '--limit', '0'], /--limit must be an integer >= 1/);
    usage(['log', 's', '--limit', '1e3'], /--limit must be an integer >= 1/);
    usage(['log', 's', '--limit', '99999999999999999999'], /--limit must be an integer from 1 to 9007199254740991/);
    usage(['log', 's', '--limit'], /^--limit needs a value/);
    usage(['log', 's', '--limit', '--json'], /^--limit needs a value/);
    usage(['log', 's', '--from', '-1'], /^--from must be an integer >= 0 \(got "-1"\)$/);
    usage(['log', 's', '--from=-1'], /^--from must be an integer >= 0/);
    usage(['events', 's', 'id', '--from', 'x'], /^--from must be an integer >= 0/);
    usage(['show', 's', 'id', 'first'], /^the revision must be an integer >= 0 \(got "first"\)$/);
    usage(['show', 's', 'id', '-1'], /^the revision must be an integer >= 0 \(got "-1"\)$/);
    usage(
      ['streams', 's', '--after', 'garbage'],
      /^--after "garbage" is not a cursor that "eventscope streams" printed \(or not all of one\)$/,
    );
    usage(['replay', 's', '--time-budget', '0'], /--time-budget must be an integer >= 1/);
    usage(['log', 's', '--cipher-key', ''], /^--cipher-key is empty$/);
    usage(['streams', 's', '--category='], /^--category is empty$/);
    usage(['log', 's', '--json=1'], /^--json takes no value/);
    usage(['completion', 'tcsh'], /^the shell must be one of bash, zsh, fish \(got "tcsh"\)$/);
    usage(['help', 'lgo'], /^the command must be one of .* \(got "lgo"\) \(did you mean log\?\)$/);
  });

  it('refuses unknown options and commands, options of other commands, wrong argument counts, conflicts', () => {
    usage(['log', 's', '--limt', '3'], /^unknown option --limt \(did you mean --limit\?\)$/);
    usage(['log', 's', '-x'], /^unknown option -x$/);
    usage(['lgo', 's'], /^unknown command "lgo" \(did you mean log\?\)$/);
    usage(['info', 's', '--backwards'], /^"info" has no option --backwards$/);
    usage(['streams', 's', '--events-format'], /^"streams" has no option --events-format$/);
    usage(['demo', '--cipher-key', 'k'], /^"demo" has no option --cipher-key$/);
    usage(['events', 's'], /^"events" takes 2 arguments \(<store> <streamId>\), got 1$/);
    usage(['info', 's', 't'], /^"info" takes 1 argument \(<store>\), got 2$/);
    usage(['demo', 'a', 'b'], /^"demo" takes 0 to 1 arguments/);
    usage(['log', 's', '--json', '--ndjson'], /^give only one of --json, --ndjson and --events-format \(got --json and --ndjson\)$/);
    usage(['events', 's', 'i', '--ndjson', '--events-format'], /^give only one of/);
    usage(['streams', 's', '--json', '--ndjson'], /^give only one of --json and --ndjson/);
    usage(['replay', 's', '--stream', 'x', '--all'], /^give only one of --stream, --category and --all/);
  });
});

describe('CLI help and completion, generated from the command table', () => {
  it('each command has its help: every option of the table, arguments, examples', () => {
    for (const command of COMMAND_NAMES) {
      const help = commandHelp(command);
      assert.match(help, new RegExp(`^Usage:\\n  eventscope ${command}\\b`));
      for (const option of commandOptions(command)) assert.ok(help.includes(`--${option.name}`), `${command} --${option.name}`);
      assert.match(help, /\nExamples:\n {2}eventscope /);
      assert.match(generalHelp(), new RegExp(`\\n {2}${command} +\\S`));
    }
  });

  it('the general help lists every command synopsis', () => {
    for (const line of synopses().split('\n')) assert.ok(generalHelp().includes(line), line);
  });

  it('each completion script names every command and every option', () => {
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const script = completionScript(shell);
      for (const command of COMMAND_NAMES) {
        assert.ok(script.includes(shell === 'fish' ? `-a ${command} ` : command), `${shell}: ${command}`);
        for (const option of commandOptions(command)) {
          assert.ok(script.includes(shell === 'fish' ? `-l ${option.name}` : `--${option.name}`), `${shell}: ${command} --${option.name}`);
        }
      }
    }
    assert.match(completionScript('bash'), /\ncomplete -F _eventscope eventscope\n$/);
    assert.match(completionScript('zsh'), /^#compdef eventscope\n/);
    assert.match(completionScript('fish'), /\ncomplete -c eventscope -f\n/);
  });
});
