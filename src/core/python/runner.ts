/**
 * The host side of the Python runner (python/eventscope_runner.py): a child process of the user's
 * interpreter, spoken to in JSON lines. The store is read here, as for every replay; the runner
 * only decodes stored events with the user's application (its transcodings, compressor, cipher)
 * and applies them with the user's aggregate classes. First step of issue 10: one aggregate's
 * events replayed through its class; the panel, the CLI and time travel build on this.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeEventsourcingState, type DecodedState } from '../codecs/eventsourcing';
import { EventscopeError } from '../errors';
import type { StoredEventRow } from '../stores/eventsourcingSqlite';

export interface PythonRunnerOptions {
  /** The interpreter: else EVENTSCOPE_PYTHON, else `python3` (`py` on Windows). */
  interpreter?: string;
  /** The runner's environment (the application's settings: COMPRESSOR_TOPIC, CIPHER_KEY…); default this process's. */
  env?: NodeJS.ProcessEnv;
  /** The runner script; default the one shipped beside this bundle. */
  script?: string;
}

/** What the runner says of itself. */
export interface PythonHello {
  python: string;
  executable: string;
  /** The eventsourcing library's version, or null when it is not importable. */
  eventsourcing: string | null;
  path: string[];
}

/** A stored event as the runner takes it: the row's columns, the state's bytes in base64. */
export interface StoredRow {
  id: string;
  version: number;
  topic: string;
  state: string;
}

/** The user's Python code failed: its message, and where in the user's code. */
export class PythonError extends EventscopeError {
  constructor(
    message: string,
    readonly where: string | undefined,
    readonly index: number | undefined,
    readonly pythonTraceback: string | undefined,
  ) {
    super(`${message}${where ? ` (at ${where})` : ''}`);
  }
}

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { message: string; where?: string | null; index?: number; traceback?: string };
}

function runnerScript(): string {
  // dist/ beside python/ (the package), or src/core/python/ in the repository (tests).
  const candidates = [
    join(__dirname, '..', 'python', 'eventscope_runner.py'),
    join(__dirname, '..', '..', '..', 'python', 'eventscope_runner.py'),
  ];
  return candidates.find((path) => existsSync(path)) ?? candidates[0];
}

export class PythonRunner {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  private nextId = 1;
  private exited: EventscopeError | undefined;
  private stderr = '';

  constructor(options: PythonRunnerOptions = {}) {
    const interpreter = options.interpreter ?? process.env.EVENTSCOPE_PYTHON ?? (process.platform === 'win32' ? 'py' : 'python3');
    this.child = spawn(interpreter, ['-u', options.script ?? runnerScript()], { env: options.env ?? process.env, stdio: 'pipe' });
    this.child.on('error', (error: NodeJS.ErrnoException) => {
      this.end(
        error.code === 'ENOENT'
          ? new EventscopeError(`There is no Python interpreter "${interpreter}": set eventscope.python.interpreter, or EVENTSCOPE_PYTHON.`)
          : new EventscopeError(`The Python runner (${interpreter}) could not start: ${error.message}.`),
      );
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.child.on('exit', (code, signal) => {
      const last = this.stderr.trim().split('\n').at(-1);
      this.end(new EventscopeError(`The Python runner exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}.`));
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        return; // not ours (a print from user code goes to stdout too)
      }
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else {
        const e = reply.error!;
        pending.reject(new PythonError(e.message, e.where ?? undefined, e.index, e.traceback));
      }
    });
  }

  private end(error: EventscopeError): void {
    this.exited ??= error;
    for (const pending of this.pending.values()) pending.reject(this.exited);
    this.pending.clear();
  }

  private request<T>(op: string, args: object = {}): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  hello(): Promise<PythonHello> {
    return this.request('hello');
  }

  /** Builds the application's mapper (no recorder, no database): `app` is a topic `package.module:AppClass`, `path` source roots for `sys.path`. */
  configure(
    options: { app?: string; path?: string[]; env?: Record<string, string> } = {},
  ): Promise<{ app: string; compressor: string | null; cipher: string | null }> {
    return this.request('configure', options);
  }

  /** One aggregate's stored events through its own class: the aggregate's attributes after each (exact values). */
  async replay(rows: (StoredRow | StoredEventRow)[]): Promise<DecodedState[]> {
    const events = rows.map((r) =>
      'originatorId' in r ? { id: r.originatorId, version: r.version, topic: r.topic, state: Buffer.from(r.state).toString('base64') } : r,
    );
    const states = await this.request<string[]>('replay', { events });
    return states.map((text) => decodeEventsourcingState(Buffer.from(text, 'utf8')));
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill(), 2_000);
    await exited;
    clearTimeout(timer);
  }
}
