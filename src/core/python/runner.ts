/**
 * The host side of the Python runner (python/eventscope_runner.py): a child process of the user's
 * interpreter, spoken to in JSON lines. The store is read here, as for every replay; the runner
 * only decodes stored events with the user's application (its transcodings, compressor, cipher)
 * and applies them with the user's aggregate classes or Python projection. A replay drives it
 * synchronously through bridge.ts; this class is the asynchronous connection underneath.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeEventsourcingState, type DecodedState } from '../codecs/eventsourcing';
import { EventscopeError } from '../errors';
import type { StoredEventRow } from '../stores/eventsourcingSqlite';
import type { PythonDebug } from '../projection/types';

export interface PythonRunnerOptions {
  /** The interpreter: else EVENTSCOPE_PYTHON, else `python3` (`py` on Windows). */
  interpreter?: string;
  /** The runner's environment (the application's settings: COMPRESSOR_TOPIC, CIPHER_KEY…); default this process's. */
  env?: NodeJS.ProcessEnv;
  /** The runner script; default the one shipped beside this bundle. */
  script?: string;
  /** Arguments before the script (e.g. `-m debugpy --listen …` to debug the user's code). */
  prefix?: string[];
}

/** What the runner says of itself. */
export interface PythonHello {
  python: string;
  executable: string;
  /** The eventsourcing library's version, or null when it is not importable. */
  eventsourcing: string | null;
  /** Whether `debugpy` is importable by this interpreter. */
  debugpy: boolean;
  path: string[];
}

/** How the runner decodes and applies (the `configure` operation). */
export interface PythonConfig {
  /** The application class, a topic `package.module:AppClass` (default: the library's Application). */
  app?: string;
  /** Source roots put first on `sys.path`. */
  path?: string[];
  /** The application's settings (COMPRESSOR_TOPIC, CIPHER_TOPIC, CIPHER_KEY…). */
  env?: Record<string, string>;
  /** A Python projection module (a file); without one each stream replays through its aggregate class. */
  projection?: string;
  /** A Python expression over `aggregate`, `state`, `event` and `before` that must hold after every event. */
  invariant?: string;
  /** The runner's heap limit (POSIX). */
  memory_mb?: number;
  /** One stream: `state` in expressions is its aggregate (else every aggregate by id). */
  single?: boolean;
  /** Meet a debugger first (see PythonDebug). */
  debug?: PythonDebug;
  /** Replay the app's policy (a ProcessApplication) over the events. */
  policy?: boolean;
  /** A function `mutate(event, aggregate) -> aggregate` (a topic) for functional aggregates, instead of `event.mutate`. */
  mutator?: string;
}

export interface PythonConfigured {
  app: string;
  compressor: string | null;
  cipher: string | null;
  /** The projection's name, or null for aggregate replays. */
  projection: string | null;
  hasInvariant: boolean;
  /** The projection's initial state (state text), or null. */
  init: string | null;
  /** "Python 3.11.7 (/usr/bin/python3), eventsourcing 9.2.22". */
  runtime: string;
}

/**
 * A stored event as the runner takes it: its key (stream or ''), originator id, version, topic,
 * position `p` (a policy's tracking), and state (hex `x` or JSON text `j`).
 */
export interface WireEvent {
  k: string;
  o: string;
  v: number;
  t: string;
  p?: number;
  x?: string;
  j?: string;
}

/** An exception in the user's Python code. */
export interface PythonErrorInfo {
  message: string;
  where?: string | null;
  traceback?: string;
}

/**
 * One event's result: the state it touched as state text (`s`), or the user's exception (`e`;
 * `forget`: the runner dropped the state the code half-changed); the invariant's failure (`f`),
 * the conditions' verdicts (`c`), and what the code printed (`l`).
 */
export interface StepResult {
  s?: string | null;
  e?: PythonErrorInfo;
  forget?: boolean;
  f?: string;
  c?: (boolean | { error: string })[];
  l?: string[];
  /** The events a policy collected: their stream, topic, and attributes as JSON (the app's transcoder). */
  o?: { stream: string; type: string; data: string }[];
}

export interface ApplyArgs {
  events: WireEvent[];
  /** States to take back first (a keyframe's), by key; null: none. */
  sync?: Record<string, string | null>;
  /** Stop after this long (the rest is asked for again). */
  budget_ms?: number;
  conditions?: string[];
}

/** The runner's operations: arguments and replies. */
export interface PythonOps {
  hello: { args: Record<string, never>; reply: PythonHello };
  configure: { args: PythonConfig; reply: PythonConfigured };
  apply: { args: ApplyArgs; reply: StepResult[] };
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

  static of(info: PythonErrorInfo, index?: number): PythonError {
    return new PythonError(info.message, info.where ?? undefined, index, info.traceback);
  }
}

interface Reply {
  id: number;
  ok?: boolean;
  value?: unknown;
  error?: PythonErrorInfo;
  /** The request's `at`-th event runs long. */
  at?: number;
}

function shipped(...names: string[]): string {
  // dist/ beside python/ (the package), or src/core/python/ in the repository (tests).
  const candidates = [join(__dirname, '..', ...names), join(__dirname, '..', '..', '..', ...names)];
  return candidates.find((path) => existsSync(path)) ?? candidates[0];
}

/** The interpreter a runner starts with these options. */
export function interpreterOf(options: PythonRunnerOptions): string {
  return options.interpreter || process.env.EVENTSCOPE_PYTHON || (process.platform === 'win32' ? 'py' : 'python3');
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onAt?: (n: number) => void;
}

export class PythonRunner {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: EventscopeError | undefined;
  private stderr = '';
  readonly interpreter: string;

  constructor(options: PythonRunnerOptions = {}) {
    const interpreter = (this.interpreter = interpreterOf(options));
    const script = options.script ?? shipped('python', 'eventscope_runner.py');
    this.child = spawn(interpreter, [...(options.prefix ?? []), '-u', script], { env: options.env ?? process.env, stdio: 'pipe' });
    this.child.on('error', (error: NodeJS.ErrnoException) => {
      this.end(
        error.code === 'ENOENT'
          ? new EventscopeError(`There is no Python interpreter "${interpreter}": set eventscope.python.interpreter, or EVENTSCOPE_PYTHON.`)
          : new EventscopeError(`The Python runner (${interpreter}) could not start: ${error.message}.`),
      );
    });
    this.child.stdin.on('error', () => {
      // The runner went away; its exit says why.
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.child.on('exit', (code, signal) => {
      const last = this.stderr.trim().split('\n').at(-1);
      this.end(new EventscopeError(`The Python runner (${interpreter}) exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}.`));
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        return;
      }
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      if (reply.at !== undefined) return pending.onAt?.(reply.at);
      this.pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(PythonError.of(reply.error ?? { message: 'the Python runner failed' }));
    });
  }

  /** What the runner wrote to stderr last (its own failures, the user's stray output). */
  get lastError(): string {
    return this.stderr;
  }

  private end(error: EventscopeError): void {
    this.exited ??= error;
    for (const pending of this.pending.values()) pending.reject(this.exited);
    this.pending.clear();
  }

  /** One operation; `onAt` hears which event of it runs long. */
  request<K extends keyof PythonOps>(op: K, args: PythonOps[K]['args'], onAt?: (n: number) => void): Promise<PythonOps[K]['reply']> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onAt });
      this.child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  hello(): Promise<PythonHello> {
    return this.request('hello', {});
  }

  /** Builds the application's mapper (no recorder, no database) and loads the projection, if any. */
  configure(config: PythonConfig = {}): Promise<PythonConfigured> {
    return this.request('configure', config);
  }

  /**
   * One aggregate's stored events through its own class: the aggregate's attributes after each
   * (exact values). The first exception in the user's code rejects, naming the event's index.
   */
  async replay(rows: (WireEvent | StoredEventRow)[]): Promise<DecodedState[]> {
    const events = rows.map((r): WireEvent => ('originatorId' in r ? wireEvent('', r.originatorId, r.version, r.topic, r.state) : r));
    const states: DecodedState[] = [];
    while (states.length < events.length) {
      const results = await this.request('apply', { events: events.slice(states.length), budget_ms: 1e9 });
      for (const result of results) {
        if (result.e) throw PythonError.of(result.e, states.length);
        states.push(decodeEventsourcingState(Buffer.from(stateJson(result.s ?? null) ?? 'null', 'utf8')));
      }
    }
    return states;
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

/** A stored event for the runner: the state's bytes as hex, or its JSON text when it is plain JSON. */
export function wireEvent(
  key: string,
  originatorId: string,
  version: number,
  topic: string,
  state: Uint8Array | string,
  position?: number,
): WireEvent {
  const event: WireEvent = { k: key, o: originatorId, v: version, t: topic, ...(position !== undefined ? { p: position } : {}) };
  if (typeof state !== 'string') event.x = Buffer.from(state).toString('hex');
  else if (state.startsWith('{')) event.j = state;
  else event.x = state;
  return event;
}

/** The JSON part of a state text (see the runner: a header line, then the state's JSON). */
export function stateJson(text: string | null): string | null {
  return text === null ? null : text.slice(text.indexOf('\n') + 1);
}
