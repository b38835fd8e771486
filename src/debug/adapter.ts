/**
 * The `eventscope` debug adapter: a replay as a debug session. Every step is an event: `next`
 * applies the next one, `stepBack` undoes it, `continue` / `reverseContinue` run to the next /
 * previous breakpoint hit (or invariant break). A thin face over the replay core, like the CLI:
 * it drives the same `ReplaySession` (worker, keyframes, breakpoint scans, first-failure search)
 * the replay panel does. It runs in the extension (an inline adapter) or on its own over stdio
 * (dist/debugAdapter.js, for any DAP client). No `vscode` here.
 *
 * Breakpoints: a function breakpoint names an event type (with a condition and a hit count when
 * given); a data breakpoint on a state value stops where it changes; a line breakpoint in the
 * projection's code (its file or a file it imports) is a real V8 breakpoint in the replay worker
 * (userCode.ts): the worker pauses at that line, inside the user's code with its locals, and the
 * user steps over its lines; leaving the code returns to event stepping. When the projection has
 * an invariant (or the launch gives one), `continue` also stops after the next event that breaks it
 * (a step that stays broken is no break: core/projection/breaks.ts).
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  Breakpoint as DapBreakpoint,
  BreakpointEvent,
  Event,
  Handles,
  InitializedEvent,
  LoggingDebugSession,
  OutputEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
  Variable,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { parseCipherKey } from '../core/codecs/eventsourcing';
import type { TranscodingMapping } from '../core/codecs/transcodings';
import { EventscopeError, messageOf } from '../core/errors';
import { eventKey, eventToJSON, shortTypeName, type EventKey, type RecordedEvent, type ValueKinds } from '../core/events';
import type { LabelRules } from '../core/labels';
import { describeBreaks } from '../core/projection/breaks';
import type { UserCall } from '../core/projection/protocol';
import { ReplaySession } from '../core/projection/session';
import type { ReplaySourceSpec } from '../core/projection/source';
import type { ProjectionChoice, ReplayScope, StepRecord } from '../core/projection/types';
import { parseDotEnv } from '../core/dotEnv';
import { isPostgresUrl } from '../core/stores/eventsourcingPostgres';
import { shortStreamId } from '../core/labels';
import { flattenDelta, formatPath } from '../shared/deltaPaths';
import { changedExpression, StopSearch, type Armed } from './search';
import { describeRemote, UserCode, type CodePause, type LineBreakpoint, type Placed, type RemoteObject, type UserFrame } from './userCode';
import { children, describe, expandable, expressionOf, type Container } from './values';

/** The `launch` configuration of the `eventscope` debug type (package.json's configurationAttributes). */
export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** An eventsourcing SQLite file (resolved against `cwd`). The extension resolves connection names to it. */
  store?: string;
  stream?: string;
  category?: string;
  all?: boolean;
  /** A `.events` file to replay instead of a store. */
  eventsFile?: string;
  /** A JS/TS module or KurrentDB script (with `python`: a Python projection module); omitted: the generic built-in projection. */
  projection?: string;
  /** Replay through the user's own Python code (each stream's aggregate class, or a Python `projection`). */
  python?: boolean;
  /** With `python`: the application class (`package.module:AppClass`) that decodes the events. */
  app?: string;
  /** With `python` and `app`: replay the process application's policy. */
  policy?: boolean;
  /** With `python`: the function (topic) that applies events to functional aggregates. */
  mutator?: string;
  /** With `python`: source roots for `sys.path` (resolved against `cwd`). */
  pythonPath?: string[];
  /** With `python`: the interpreter (default: EVENTSCOPE_PYTHON, else python3). */
  interpreter?: string;
  /** With `python`: a .env file of the application's settings (COMPRESSOR_TOPIC, CIPHER_KEY…). */
  dotenv?: string;
  /** An expression over `state`, `event`, `before` that must stay truthy; `continue` stops where it breaks. */
  invariant?: string;
  stopOnEntry?: boolean;
  /** The base64 AES key, from `${input:…}` or the environment only; else EVENTSCOPE_CIPHER_KEY. */
  cipherKey?: string;
  /** The saved connection `store` was resolved from (VS Code): its key comes from secret storage, not from here. */
  connection?: string;
  cwd?: string;
  timeBudgetMs?: number;
  memoryLimitMb?: number;
  labelRules?: LabelRules;
}

/**
 * The projection a launch configuration runs: the generic one, a JS/TS file, or the user's Python
 * code (paths resolved against `cwd`). `readDotenv`: read the `dotenv` file's settings into the
 * choice (the adapter does, just before it runs; the extension only compares choices).
 */
export function projectionChoiceOf(args: LaunchArguments, options: { readDotenv?: boolean } = {}): ProjectionChoice {
  const at = (path: string) => resolve(args.cwd ?? process.cwd(), path);
  if (!args.python) return args.projection ? { kind: 'file', path: at(args.projection) } : { kind: 'generic' };
  let env: Record<string, string> | undefined;
  if (options.readDotenv && args.dotenv) {
    try {
      env = parseDotEnv(readFileSync(at(args.dotenv), 'utf8'));
    } catch (error) {
      throw new EventscopeError(`${at(args.dotenv)}: can't read the .env file (${messageOf(error)}).`, { cause: error });
    }
  }
  return {
    kind: 'python',
    ...(args.projection ? { path: at(args.projection) } : {}),
    ...(args.app ? { app: args.app } : {}),
    ...(args.policy ? { policy: true } : {}),
    ...(args.mutator ? { mutator: args.mutator } : {}),
    ...(args.pythonPath ? { pythonPath: args.pythonPath.map(at) } : {}),
    ...(args.interpreter ? { interpreter: args.interpreter } : {}),
    ...(env ? { env } : {}),
  };
}

export const THREAD_ID = 1;

/** A custom event sent before each stop: the step shown, so a replay panel can follow it. */
export const STEP_EVENT = 'eventscopeStep';
export interface StepEventBody {
  index: number;
  steps: number;
  event: EventKey;
}

/** A line breakpoint: what the client set, and where it pauses. */
interface LineArmed {
  bp: LineBreakpoint;
  placed: Placed;
}

/** What to do when a live run ends after the worker paused in user code: what the user asked for last. */
type AfterCode = 'continue' | 'step' | 'stepBack' | 'reverse' | 'pause';

/** Frame ids: the event frame, the user's frames (innermost first) from CODE_FRAME on, a partition thread's frame from PARTITION_FRAME on. */
const EVENT_FRAME = 1;
const CODE_FRAME = 2;
const PARTITION_FRAME = 1_000_000;
/** Partition threads shown at most (a projection may have a partition per stream). */
const MAX_PARTITION_THREADS = 100;

/** A value of the paused worker (by its inspector id), as a Variables handle. */
interface Remote {
  remote: RemoteObject;
}

export class EventscopeDebugSession extends LoggingDebugSession {
  private session: ReplaySession | undefined;
  /** Where runs stop: breakpoint hits and failures, found by scans in the worker. */
  private search: StopSearch | undefined;
  private launchArgs: LaunchArguments | undefined;
  /** The step shown: the event applied last (0-based). */
  private cursor = 0;
  private record: StepRecord | undefined;
  private calls: UserCall[] | undefined;
  private functionBreakpoints: Armed[] = [];
  private lineBreakpoints = new Map<string, LineArmed[]>();
  private dataBreakpoints: Armed[] = [];
  private nextId = 1;
  private readonly containers = new Handles<Container | Remote>();
  /** Breakpoints in the user's code, and where the worker is paused in it. */
  private userCode: UserCode | undefined;
  private afterCode: AfterCode | undefined;
  /** Stream labels seen at stops (a stop inside user code can't ask the paused worker). */
  private readonly streamLabels = new Map<string, string>();
  /** Where the worker is paused in the user's code, if it is (the user code's own record of it). */
  private get codePause(): CodePause | undefined {
    return this.userCode?.paused;
  }

  /** Partitioned KurrentDB projections: each partition's thread id. */
  private readonly partitionThreads = new Map<string, number>();
  /** Hit counts of line breakpoints start again with the first live run. */
  private countsFresh = false;
  private configured!: Promise<void>;
  private markConfigured!: () => void;

  /**
   * `cipherKey`: the key of the store (VS Code passes a connection's key from secret storage this
   * way, never in the configuration); `transcodings`: the `eventscope.transcodings` setting.
   */
  constructor(private readonly options: { cipherKey?: string; password?: string; transcodings?: TranscodingMapping } = {}) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configured = new Promise((resolve) => (this.markConfigured = resolve));
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsEvaluateForHovers: true,
      supportsTerminateRequest: true,
      supportsSingleThreadExecutionRequests: false,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.markConfigured();
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    try {
      this.launchArgs = args;
      const session = await ReplaySession.open({
        source: sourceSpec(args, this.options.cipherKey, this.options.password, this.options.transcodings),
        projection: projectionChoiceOf(args, { readDotenv: true }),
        ...(args.timeBudgetMs ? { timeBudgetMs: args.timeBudgetMs } : {}),
        ...(args.memoryLimitMb ? { memoryLimitMb: args.memoryLimitMb } : {}),
        ...(args.labelRules ? { labelRules: args.labelRules } : {}),
      });
      this.session = session;
      this.search = new StopSearch(session, args.invariant);
      const { summary } = session;
      this.userCode = new UserCode(session, {
        paused: (pause) => void this.pausedInCode(pause),
        resumed: () => {
          this.containers.reset();
        },
        log: (text) => this.say(text, 'stderr'),
      });
      this.countsFresh = true;
      this.say(
        `Replaying ${summary.source} with ${summary.projection.name}: ${summary.steps} events` +
          `${summary.errors.length ? `, ${summary.errors.length}${summary.truncated.errors ? '+' : ''} handler errors` : ''}` +
          `${summary.breaks.length ? `; the invariant: ${describeBreaks(summary.breaks, summary.truncated.breaks)}` : ''}` +
          `${summary.stopped ? `. ${summary.stopped}` : ''}.\n`,
      );
      this.sendResponse(response);
    } catch (error) {
      this.fail(response, error);
      return;
    }
    await this.configured;
    // Line breakpoints may have come before the projection was loaded: verify them now.
    await this.reverifyLines();
    if (this.steps === 0) {
      this.say('There are no events to replay.\n');
      this.sendEvent(new TerminatedEvent());
      return;
    }
    if (this.launchArgs.stopOnEntry) return this.stopAt(0, 'entry', 'The first event');
    await this.runToStop(() => this.runForward(0));
  }

  private get steps(): number {
    return this.session?.summary.steps ?? 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Breakpoints

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    this.functionBreakpoints = args.breakpoints.map((b) => ({
      spec: { kind: 'type', type: b.name, ...(b.condition ? { condition: b.condition } : {}) },
      ...(b.hitCondition ? { hitCondition: b.hitCondition } : {}),
      reason: 'function breakpoint',
      verified: true,
      id: this.nextId++,
      description: `Event type ${b.name}${b.condition ? ` when ${b.condition}` : ''}`,
    }));
    response.body = { breakpoints: this.functionBreakpoints.map((armed) => this.dap(armed)) };
    this.sendResponse(response);
  }

  protected override async setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): Promise<void> {
    const path = args.source.path ?? '';
    const armed = (args.breakpoints ?? []).map((b) => this.lineBreakpoint({ id: this.nextId++, path, line: b.line, ...conditions(b) }));
    this.lineBreakpoints.set(path, armed);
    response.body = { breakpoints: armed.map((a) => this.lineDap(a)) };
    try {
      await this.userCode?.setBreakpoints(this.codeBreakpoints);
    } catch (error) {
      this.say(`${messageOf(error)}\n`, 'stderr');
    }
    this.sendResponse(response);
  }

  private lineBreakpoint(bp: LineBreakpoint): LineArmed {
    return {
      bp,
      placed: this.userCode ? this.userCode.verify(bp) : { verified: false, message: 'Verified when the replay starts.' },
    };
  }

  /** The line breakpoints that pause the worker. */
  private get codeBreakpoints(): LineBreakpoint[] {
    return [...this.lineBreakpoints.values()]
      .flat()
      .filter((a) => a.placed.verified)
      .map((a) => a.bp);
  }

  /** A line breakpoint as the client sees it. */
  private lineDap({ bp, placed }: LineArmed): DebugProtocol.Breakpoint {
    const dap = new DapBreakpoint(placed.verified, placed.line ?? bp.line) as DebugProtocol.Breakpoint;
    dap.id = bp.id;
    if (placed.message) dap.message = placed.message;
    return dap;
  }

  /** The breakpoint as the client sees it. */
  private dap(armed: Armed): DebugProtocol.Breakpoint {
    const bp = new DapBreakpoint(armed.verified) as DebugProtocol.Breakpoint;
    bp.id = armed.id;
    return bp;
  }

  /** Line breakpoints set before the projection was loaded, verified now. */
  private async reverifyLines(): Promise<void> {
    for (const [path, armed] of this.lineBreakpoints) {
      const again = armed.map((a) => this.lineBreakpoint(a.bp));
      this.lineBreakpoints.set(path, again);
      for (const a of again) this.sendEvent(new BreakpointEvent('changed', this.lineDap(a)));
    }
    await this.userCode?.setBreakpoints(this.codeBreakpoints);
  }

  protected override dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    const parent = args.variablesReference ? this.containers.get(args.variablesReference) : undefined;
    if (!parent || 'remote' in parent || (parent.root !== 'state' && parent.root !== 'previousState')) {
      response.body = { dataId: null, description: 'Data breakpoints watch values of the state.' };
    } else {
      const path = [...parent.path, Array.isArray(parent.value) ? Number(args.name.replace(/^\[|\]$/g, '')) : args.name];
      response.body = {
        dataId: JSON.stringify(path),
        description: `${formatPath(path, 'state')} changes`,
        accessTypes: ['write'],
        canPersist: true,
      };
    }
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse,
    args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    this.dataBreakpoints = args.breakpoints.map((b) => {
      const path = JSON.parse(b.dataId) as (string | number)[];
      return {
        spec: { kind: 'condition', expression: b.condition ? `(${changedExpression(path)}) && (${b.condition})` : changedExpression(path) },
        ...(b.hitCondition ? { hitCondition: b.hitCondition } : {}),
        reason: 'data breakpoint',
        verified: true,
        id: this.nextId++,
        description: `${formatPath(path, 'state')} changed`,
      };
    });
    response.body = { breakpoints: this.dataBreakpoints.map((armed) => this.dap(armed)) };
    this.sendResponse(response);
  }

  private get armed(): Armed[] {
    return [...this.functionBreakpoints, ...this.dataBreakpoints].filter((a) => a.verified);
  }

  // ---------------------------------------------------------------------------------------------
  // Running

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    if (this.codePause) return this.inCode(response, 'step', () => this.userCode!.step('over'));
    const partition = this.partitionOfThread(args.threadId);
    await this.move(response, () => (partition !== undefined ? this.stepPartition(partition, 1) : this.stepForward(false)));
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    if (this.codePause) return this.inCode(response, 'step', () => this.userCode!.step('into'));
    const partition = this.partitionOfThread(args.threadId);
    await this.move(response, () => (partition !== undefined ? this.stepPartition(partition, 1) : this.stepForward(true)));
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    if (this.codePause) return this.inCode(response, 'step', () => this.userCode!.step('out'));
    const partition = this.partitionOfThread(args.threadId);
    await this.move(response, () => (partition !== undefined ? this.stepPartition(partition, 1) : this.stepForward(false)));
  }

  protected override async stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): Promise<void> {
    if (this.codePause) return this.inCode(response, 'stepBack', () => this.userCode!.finishStep());
    const partition = this.partitionOfThread(args.threadId);
    await this.move(response, () => (partition !== undefined ? this.stepPartition(partition, -1) : this.stepTo(this.cursor - 1)));
  }

  protected override async continueRequest(response: DebugProtocol.ContinueResponse): Promise<void> {
    response.body = { allThreadsContinued: true };
    if (this.codePause) return this.inCode(response, 'continue', () => this.userCode!.resume());
    await this.move(response, () => this.runForward(this.cursor + 1));
  }

  protected override async reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): Promise<void> {
    if (this.codePause) return this.inCode(response, 'reverse', () => this.userCode!.finishStep());
    await this.move(response, () => this.runBackward(this.cursor - 1));
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse): Promise<void> {
    this.sendResponse(response);
    if (this.codePause) return;
    if (this.running) {
      // A live run pauses where the worker is: in the user's code, or after the step it is in.
      this.afterCode = 'pause';
      await this.userCode?.pause();
      return;
    }
    await this.stopAt(this.cursor, 'pause', 'Paused');
  }

  /** A request while the worker is paused in user code: `then` says what happens when its step ends. */
  private async inCode(response: DebugProtocol.Response, then: AfterCode, act: () => Promise<unknown>): Promise<void> {
    this.afterCode = then;
    try {
      await act();
      this.sendResponse(response);
    } catch (error) {
      this.fail(response, error);
    }
  }

  /** Answers a run request at once, then runs (the stop comes as an event). */
  private async move(response: DebugProtocol.Response, run: () => Promise<void>): Promise<void> {
    if (!this.session) return this.fail(response, new EventscopeError('The replay is not open.'));
    this.sendResponse(response);
    await this.runToStop(run);
  }

  /** Runs to a stop; a run that fails stops where it was, saying why (in the debug console too). */
  private async runToStop(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (!this.session) return; // closed meanwhile
      this.say(`${messageOf(error)}\n`, 'stderr');
      await this.stopAt(this.cursor, 'exception', messageOf(error)).catch(() => undefined);
    }
  }

  private async stepTo(index: number): Promise<void> {
    if (index >= this.steps) return this.stopAt(this.steps - 1, 'end', 'The end of the replay');
    if (index < 0) return this.stopAt(0, 'start', 'The start of the replay');
    return this.stopAt(index, 'step');
  }

  /**
   * Applies the next event. It runs live when the code has breakpoints (one on its way pauses
   * there) and when stepping in (the worker pauses as it enters the first user function).
   */
  private async stepForward(into: boolean): Promise<void> {
    const next = this.cursor + 1;
    if (next >= this.steps) return this.stepTo(next);
    const code = this.userCode;
    if (code?.available && (into || this.codeBreakpoints.length)) {
      if (into) {
        const calls = await this.session!.calls(next);
        await code.ready();
        await code.armEntry(calls.flatMap((c) => (c.range ? [c.range] : [])));
      }
      const ended = await this.runLive(next, next + 1);
      if (ended !== undefined) return this.afterLive(ended);
    }
    return this.stepTo(next);
  }

  /**
   * Steps a partition's thread (a partitioned KurrentDB projection): to the next (or previous)
   * event that changes that partition's state.
   */
  private async stepPartition(partition: string, direction: 1 | -1): Promise<void> {
    const name = JSON.stringify(partition);
    const index = await this.search!.partition(partition, this.cursor, direction);
    if (index !== undefined) return this.stopAt(index, 'step', `The ${direction === 1 ? 'next' : 'previous'} event of partition ${name}`);
    return direction === 1
      ? this.stopAt(this.steps - 1, 'end', `No later event changes partition ${name}`)
      : this.stopAt(0, 'start', `No earlier event changes partition ${name}`);
  }

  /** Runs on from `from` to the first stop: a hit (in the code, too), a failure, or the end. */
  private async runForward(from: number): Promise<void> {
    if (from >= this.steps) return this.stopAt(this.steps - 1, 'end', 'The end of the replay');
    const search = this.search!;
    const [hit, failure] = [await search.next(this.armed, from, this.steps), await search.failure(from, this.steps)];
    const stop = [hit, failure].filter((s) => s !== undefined).sort((a, b) => a.index - b.index)[0];
    if (this.userCode?.available && this.codeBreakpoints.length) {
      // Up to and with the step of the first other stop: the code's breakpoints may pause first.
      const ended = await this.runLive(from, stop ? stop.index + 1 : this.steps);
      if (ended !== undefined) return this.afterLive(ended);
    }
    if (!stop) return this.stopAt(this.steps - 1, 'end', 'The end of the replay: no breakpoint hit');
    return this.stopAt(stop.index, stop.reason, stop.description);
  }

  /** Whether a live run is under way (the worker may pause in user code). */
  private running = false;

  /** Runs steps live; the step after which the run ended early (the worker paused in it), if it did. */
  private async runLive(from: number, to: number): Promise<number | undefined> {
    const code = this.userCode!;
    await code.ready();
    // The steps before `from` are rebuilt with the breakpoints inactive (cheap), the live ones with them active.
    await this.session!.seek(from);
    this.afterCode = undefined;
    this.running = true;
    await code.activate(true);
    try {
      const ended = await this.session!.live(from, to, { resetCounts: this.countsFresh });
      this.countsFresh = false;
      return ended;
    } finally {
      this.running = false;
      await code.activate(false).catch(() => undefined);
    }
  }

  /** A live run ended after step `index`: do what the user asked for last while paused in it. */
  private async afterLive(index: number): Promise<void> {
    if (!this.session) return;
    const then = this.afterCode;
    this.afterCode = undefined;
    switch (then) {
      case 'continue':
        return this.runForward(index + 1);
      case 'stepBack':
        return this.stepTo(index - 1);
      case 'reverse':
        return this.runBackward(index - 1);
      case 'pause':
        return this.stopAt(index, 'pause', 'Paused');
      default:
        return this.stopAt(index, 'step');
    }
  }

  /** Runs back from `from` to the last hit at or before it, or to the start. */
  private async runBackward(from: number): Promise<void> {
    if (from < 0) return this.stopAt(0, 'start', 'The start of the replay');
    const hit = await this.search!.previous(this.armed, from);
    if (!hit) return this.stopAt(0, 'start', 'The start of the replay: no breakpoint hit before');
    return this.stopAt(hit.index, hit.reason, hit.description);
  }

  /** Shows step `index` as stopped. */
  private async stopAt(index: number, reason: string, description?: string): Promise<void> {
    this.cursor = Math.max(0, Math.min(index, this.steps - 1));
    this.record = undefined;
    this.calls = undefined;
    this.containers.reset();
    const record = await this.current();
    const partition = this.kurrent ? partitionOfStep(record) : undefined;
    this.stopped(
      record.event,
      reason,
      description ?? `Step ${this.cursor + 1} of ${this.steps}`,
      partition === undefined ? THREAD_ID : this.partitionThread(partition),
    );
  }

  /** Whether the projection is a KurrentDB script (a partitioned one has a thread per partition). */
  private get kurrent(): boolean {
    return this.session?.summary.projection.kind === 'kurrentdb';
  }

  /** The thread of a partition (numbered as partitions first show up). */
  private partitionThread(partition: string): number {
    let id = this.partitionThreads.get(partition);
    if (id === undefined) this.partitionThreads.set(partition, (id = THREAD_ID + 1 + this.partitionThreads.size));
    return id;
  }

  private partitionOfThread(threadId: number): string | undefined {
    if (threadId === THREAD_ID) return undefined;
    for (const [partition, id] of this.partitionThreads) if (id === threadId) return partition;
    return undefined;
  }

  /** Tells the client (and faces that follow the replay, like the panel) where it stopped. */
  private stopped(e: RecordedEvent, reason: string, description: string, threadId = THREAD_ID): void {
    this.sendEvent(new Event(STEP_EVENT, { index: this.cursor, steps: this.steps, event: eventKey(e) } satisfies StepEventBody));
    const event = new StoppedEvent(reason, threadId) as DebugProtocol.StoppedEvent;
    event.body.description = description;
    if (reason === 'exception') event.body.text = description;
    event.body.allThreadsStopped = true;
    this.sendEvent(event);
  }

  /** The worker paused in the user's code, applying step `pause.step.index`. */
  private pausedInCode(pause: CodePause): void {
    this.cursor = pause.step.index;
    this.record = undefined;
    this.calls = undefined;
    this.containers.reset();
    const top = pause.frames[0];
    const why = pause.reason === 'breakpoint' ? 'Breakpoint' : pause.reason === 'step' ? 'Stepped' : 'Paused';
    this.stopped(pause.step.event, pause.reason, `${why} in ${top.name} (line ${top.line}), applying ${eventName(pause.step.event)}`);
  }

  /** The current step's record (states included), read once per stop. */
  private async current(): Promise<StepRecord> {
    this.record ??= await this.session!.step(this.cursor, { before: true });
    if (this.record.label !== undefined) this.streamLabels.set(this.record.event.streamId, this.record.label);
    return this.record;
  }

  // ---------------------------------------------------------------------------------------------
  // What the views show

  protected override async threadsRequest(response: DebugProtocol.ThreadsResponse): Promise<void> {
    const threads = [new Thread(THREAD_ID, this.session ? `Replay: ${this.session.summary.source}` : 'Replay')];
    try {
      // A partitioned KurrentDB projection: a thread per partition (the first MAX_PARTITION_THREADS).
      const state = this.kurrent && !this.codePause ? (await this.current()).stateAfter : undefined;
      for (const partition of Object.keys(partitionsOf(state) ?? {}).slice(0, MAX_PARTITION_THREADS)) {
        threads.push(new Thread(this.partitionThread(partition), `Partition ${JSON.stringify(partition)}`));
      }
    } catch {
      // The replay thread alone.
    }
    response.body = { threads };
    this.sendResponse(response);
  }

  protected override async stackTraceRequest(
    response: DebugProtocol.StackTraceResponse,
    args: DebugProtocol.StackTraceArguments,
  ): Promise<void> {
    try {
      const frames: StackFrame[] = [];
      const partition = this.partitionOfThread(args.threadId);
      if (partition !== undefined && !this.codePause && partitionOfStep(await this.current()) !== partition) {
        // Another partition than the step's: its state, as it is after this step.
        const frame = new StackFrame(
          PARTITION_FRAME + args.threadId,
          `Partition ${JSON.stringify(partition)} (at step ${this.cursor + 1})`,
        ) as DebugProtocol.StackFrame;
        frame.presentationHint = 'label';
        response.body = { stackFrames: [frame], totalFrames: 1 };
        this.sendResponse(response);
        return;
      }
      const pause = this.codePause;
      let e: RecordedEvent;
      let label = '';
      if (pause) {
        // Paused in the user's code: its frames, innermost first (the worker can't read the step's record now).
        pause.frames.forEach((f, i) =>
          frames.push(new StackFrame(CODE_FRAME + i, f.name, new Source(baseName(f.path), f.path), f.line, f.column)),
        );
        e = pause.step.event;
        // The worker can't be asked for the stream's label while paused: the one seen at an earlier stop, if any.
        const known = this.streamLabels.get(e.streamId);
        label = known ? ` (${known})` : '';
      } else {
        const record = await this.current();
        this.calls ??= await this.session!.calls(this.cursor);
        const code = this.handlerFrame();
        if (code) frames.push(new StackFrame(CODE_FRAME, code.name, new Source(baseName(code.path), code.path), code.line, 1));
        e = record.event;
        label = record.label ? ` (${record.label})` : '';
      }
      const eventFrame = new StackFrame(
        EVENT_FRAME,
        `${eventName(e)}${label}, step ${this.cursor + 1} of ${this.steps}`,
      ) as DebugProtocol.StackFrame;
      eventFrame.presentationHint = 'label';
      frames.push(eventFrame);
      response.body = { stackFrames: frames, totalFrames: frames.length };
      this.sendResponse(response);
    } catch (error) {
      this.fail(response, error);
    }
  }

  /** The handler the current step ran (not `any` or the invariant, unless nothing else ran), where known. */
  private handlerFrame(): { name: string; path: string; line: number } | undefined {
    const calls = (this.calls ?? []).filter((c) => c.range);
    const handler = calls.find((c) => c.on !== undefined && c.on !== '*') ?? calls[0];
    return handler?.range && { name: handler.name, path: handler.range.path, line: handler.range.line };
  }

  /** The paused user frame a frame id names (the innermost for the event frame or none). */
  private codeFrame(frameId: number | undefined): UserFrame | undefined {
    const frames = this.codePause?.frames ?? [];
    return frames[frameId !== undefined && frameId >= CODE_FRAME ? frameId - CODE_FRAME : 0];
  }

  protected override async scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): Promise<void> {
    try {
      const pause = this.codePause;
      if (pause) {
        const frame = args.frameId >= CODE_FRAME ? this.codeFrame(args.frameId) : undefined;
        const e = pause.step.event;
        response.body = {
          scopes: [
            ...(frame?.scopes ?? []).map((s) => new Scope(s.name, this.containers.create({ remote: s.object }), false)),
            new Scope('Event', this.containers.create({ value: eventToJSON(e), root: 'event', path: [], kinds: eventKinds(e) }), false),
          ],
        };
        this.sendResponse(response);
        return;
      }
      const record = await this.current();
      if (args.frameId >= PARTITION_FRAME) {
        const partition = this.partitionOfThread(args.frameId - PARTITION_FRAME) ?? '';
        response.body = {
          scopes: [
            new Scope(
              'Partition state',
              this.containers.create({
                value: partitionsOf(record.stateAfter)?.[partition],
                root: 'state',
                path: ['partitions', partition],
              }),
              false,
            ),
          ],
        };
        this.sendResponse(response);
        return;
      }
      const e = record.event;
      const changes = Object.fromEntries(
        flattenDelta(record.changes).map((c) => [
          formatPath(c.path, 'state'),
          c.kind === 'added' ? c.after : c.kind === 'removed' ? { removed: c.before } : { before: c.before, after: c.after },
        ]),
      );
      response.body = {
        scopes: [
          new Scope('Event', this.containers.create({ value: eventToJSON(e), root: 'event', path: [], kinds: eventKinds(e) }), false),
          new Scope('State', this.containers.create({ value: record.stateAfter, root: 'state', path: [] }), false),
          new Scope('Previous state', this.containers.create({ value: record.stateBefore, root: 'previousState', path: [] }), false),
          new Scope('Changes', this.containers.create({ value: changes, root: 'changes', path: [] }), false),
        ],
      };
      this.sendResponse(response);
    } catch (error) {
      this.fail(response, error);
    }
  }

  protected override async variablesRequest(
    response: DebugProtocol.VariablesResponse,
    args: DebugProtocol.VariablesArguments,
  ): Promise<void> {
    try {
      const container = this.containers.get(args.variablesReference);
      const variables: DebugProtocol.Variable[] = [];
      if (container && 'remote' in container) {
        if (container.remote.objectId) {
          for (const { name, value } of await this.userCode!.properties(container.remote.objectId))
            variables.push(this.remoteVariable(name, value));
        }
      } else if (container && expandable(container.value)) {
        for (const { name, child, kind } of children(container)) variables.push(this.variable(name, child, kind));
      }
      response.body = { variables };
      this.sendResponse(response);
    } catch (error) {
      this.fail(response, error);
    }
  }

  private variable(name: string, container: Container, kind?: string): DebugProtocol.Variable {
    const { text, type } = describe(container.value, kind);
    const v = new Variable(name, text, expandable(container.value) ? this.containers.create(container) : 0) as DebugProtocol.Variable;
    v.type = type;
    if (container.root !== 'changes') v.evaluateName = expressionOf(container);
    return v;
  }

  private remoteVariable(name: string, remote: RemoteObject): DebugProtocol.Variable {
    const v = new Variable(
      name,
      describeRemote(remote),
      remote.objectId ? this.containers.create({ remote }) : 0,
    ) as DebugProtocol.Variable;
    v.type = remote.subtype ?? remote.type;
    return v;
  }

  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    try {
      if (!this.session) throw new EventscopeError('The replay is not open.');
      const frame = this.codeFrame(args.frameId);
      if (frame) {
        // Paused in the user's code: in that frame, over its locals.
        const remote = await this.userCode!.evaluate(frame.callFrameId, args.expression, args.context === 'hover');
        response.body = {
          result: describeRemote(remote),
          type: remote.subtype ?? remote.type,
          variablesReference: remote.objectId ? this.containers.create({ remote }) : 0,
        };
      } else {
        const { value, type } = await this.session.evaluate(this.cursor, args.expression);
        const { text } = describe(value);
        response.body = {
          result: text,
          type,
          variablesReference: expandable(value) ? this.containers.create({ value, root: `(${args.expression})`, path: [] }) : 0,
        };
      }
      this.sendResponse(response);
    } catch (error) {
      this.fail(response, error);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Ending

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.close();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    await this.close();
    this.sendResponse(response);
  }

  private async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    const code = this.userCode;
    this.userCode = undefined;
    await code?.dispose();
    await session?.dispose();
  }

  /** The step shown (for the extension: the replay panel follows it). */
  get currentStep(): { index: number; event?: RecordedEvent } {
    return { index: this.cursor, ...(this.record ? { event: this.record.event } : {}) };
  }

  private say(text: string, category: 'console' | 'stderr' = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  /** An error response with one sentence; details (the stack) go to the debug console. */
  private fail(response: DebugProtocol.Response, error: unknown): void {
    const message = messageOf(error);
    if (!(error instanceof EventscopeError) && error instanceof Error && error.stack) this.say(`${error.stack}\n`, 'stderr');
    this.sendErrorResponse(response, { id: 1, format: message.replace(/\{/g, '{{').replace(/\}/g, '}}'), showUser: true });
  }
}

/** The scope a launch configuration replays: its stream, else its category, else everything. */
export function scopeOf(args: Pick<LaunchArguments, 'stream' | 'category'>): ReplayScope {
  return args.stream !== undefined ? { stream: args.stream } : args.category !== undefined ? { category: args.category } : { all: true };
}

/** The replay's source from a launch configuration. */
export function sourceSpec(
  args: LaunchArguments,
  cipherKey?: string,
  password?: string,
  transcodings?: TranscodingMapping,
): ReplaySourceSpec {
  const cwd = args.cwd ?? process.cwd();
  if (args.eventsFile) return { kind: 'eventsFile', path: resolve(cwd, args.eventsFile) };
  if (!args.store) throw new EventscopeError('The launch configuration needs "store" (an eventsourcing SQLite file) or "eventsFile".');
  const scope = scopeOf(args);
  const key = args.cipherKey ?? cipherKey ?? process.env.EVENTSCOPE_CIPHER_KEY;
  return {
    kind: 'store',
    location: isPostgresUrl(args.store) ? args.store : resolve(cwd, args.store),
    ...(key ? { cipherKey: new Uint8Array(parseCipherKey(key)) } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(transcodings ? { transcodings } : {}),
    scope,
  };
}

/** A partitioned KurrentDB projection's partitions (its engine state's `partitions`), else undefined. */
function partitionsOf(state: unknown): Record<string, unknown> | undefined {
  const partitions = (state as { partitions?: unknown } | undefined)?.partitions;
  return typeof partitions === 'object' && partitions !== null && !Array.isArray(partitions)
    ? (partitions as Record<string, unknown>)
    : undefined;
}

/** The partition whose state a step changed (its delta under `partitions`), if one did. */
function partitionOfStep(record: StepRecord): string | undefined {
  if (!partitionsOf(record.stateAfter)) return undefined;
  const delta = (record.changes as { partitions?: Record<string, unknown> } | undefined)?.partitions;
  return delta && typeof delta === 'object' && !Array.isArray(delta) ? Object.keys(delta).find((key) => key !== '_t') : undefined;
}

/** An event in a few words: `Debited #4 @ 28da6e6a…`. */
function eventName(e: RecordedEvent): string {
  return `${shortTypeName(e.type)} #${e.revision} @ ${shortStreamId(e.streamId)}`;
}

/** A DAP breakpoint's condition and hit condition, those it has. */
function conditions(b: DebugProtocol.SourceBreakpoint): { condition?: string; hitCondition?: string } {
  return { ...(b.condition ? { condition: b.condition } : {}), ...(b.hitCondition ? { hitCondition: b.hitCondition } : {}) };
}

/** The kinds of an event's exact values, by JSON pointer from the event (its data's under /data). */
function eventKinds(e: RecordedEvent): ValueKinds {
  return Object.fromEntries(Object.entries(e.kinds).map(([k, v]) => [`/data${k}`, v]));
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
