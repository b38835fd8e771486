/**
 * Breakpoints inside the user's projection code: real V8 breakpoints in the replay worker, set and
 * read through the inspector (inspector.ts). Each is conditioned on a live step
 * (core/projection/live.ts), so it pauses only while the debugger runs steps, never while the
 * replay rebuilds a state. While the worker is paused, this reads its frames (mapped to the user's
 * own files and lines through the bundle's source map), their scopes and values, evaluates in a
 * frame, and steps over the user's lines; leaving the user's code ends the step it was in.
 */

import { deserialize } from 'node:v8';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { EventscopeError } from '../core/errors';
import { LIVE_HOOK, liveCondition, type LiveSnapshot } from '../core/projection/live';
import { CodeLocator, type BundledProjection } from '../core/projection/load';
import type { ReplaySession } from '../core/projection/session';
import { WorkerInspector, type WorkerTarget } from './inspector';

/** CDP's Runtime.RemoteObject, as far as it is read here. */
export interface RemoteObject {
  type: string;
  subtype?: string;
  className?: string;
  value?: unknown;
  unserializableValue?: string;
  description?: string;
  objectId?: string;
  preview?: { properties: { name: string; type: string; value?: string; subtype?: string }[]; overflow: boolean; subtype?: string };
}

interface CallFrame {
  callFrameId: string;
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
  scopeChain: { type: string; name?: string; object: RemoteObject }[];
}

/** A paused user frame: where it is in the user's file. */
export interface UserFrame {
  callFrameId: string;
  name: string;
  path: string;
  line: number;
  column: number;
  scopes: { name: string; object: RemoteObject }[];
}

/** The worker, paused in user code. */
export interface CodePause {
  /** `breakpoint` (a line breakpoint hit), `step` (a step over the user's lines), `pause`. */
  reason: string;
  /** The user's frames, innermost first. */
  frames: UserFrame[];
  /** The step being applied. */
  step: LiveSnapshot;
}

/** A line breakpoint as the client set it, and the id its hit count is kept by. */
export interface LineBreakpoint {
  id: number;
  path: string;
  line: number;
  condition?: string;
  hitCondition?: string;
}

/** What the worker reported about a breakpoint: where it will pause (the user's line), if anywhere. */
export interface Placed {
  verified: boolean;
  line?: number;
  message?: string;
}

const SCOPE_NAMES: Record<string, string> = { local: 'Local', block: 'Block', closure: 'Closure', catch: 'Catch', with: 'With' };

export class UserCode {
  private readonly inspector = new WorkerInspector();
  private target: WorkerTarget | undefined;
  private locator: { bundle: BundledProjection; code: CodeLocator } | undefined;
  private breakpoints: LineBreakpoint[] = [];
  /** The worker's scripts: id -> URL. */
  private readonly scripts = new Map<string, string>();
  /** The inspector's ids of the breakpoints set in the worker. */
  private placed: string[] = [];
  /** Where the worker is paused in user code, if it is. */
  paused: CodePause | undefined;
  /** A step over the user's lines is under way (its pause is a step's, not a breakpoint's). */
  private stepping = false;
  /** Breakpoints at the start of every user function, while a step in is under way. */
  private entry: string[] = [];

  constructor(
    private readonly session: ReplaySession,
    private readonly handlers: { paused: (pause: CodePause) => void; resumed: () => void; log: (text: string) => void },
  ) {}

  /** Whether the replay runs a file of the user's (not the generic projection). */
  get available(): boolean {
    return this.session.bundle !== undefined;
  }

  private get code(): CodeLocator {
    const bundle = this.session.bundle;
    if (!bundle) throw new EventscopeError('The generic projection has no code to stop in.');
    if (this.locator?.bundle !== bundle) this.locator = { bundle, code: new CodeLocator(bundle) };
    return this.locator.code;
  }

  /** Where a line breakpoint would pause: verified when code of the replay's files comes from that line. */
  verify(b: LineBreakpoint): Placed {
    if (!this.available) return { verified: false, message: 'The generic projection runs no code of yours: set a projection file.' };
    const at = this.code.scriptPosition(b.path, b.line);
    if (!at) return { verified: false, message: 'No code of the projection being replayed comes from this line.' };
    return { verified: true, line: b.line };
  }

  /** The line breakpoints to keep set in the worker (set now when attached, else when it is). */
  async setBreakpoints(breakpoints: LineBreakpoint[]): Promise<void> {
    this.breakpoints = breakpoints;
    if (this.target) await this.place(this.target);
  }

  /** Attaches to the worker (again when it was replaced, after a crash), with the breakpoints set: before a live run. */
  async ready(): Promise<void> {
    await this.attach();
  }

  /** Makes the breakpoints pause (during a live run) or not (the worker rebuilding states). */
  async activate(active: boolean): Promise<void> {
    if (this.target) await this.target.send('Debugger.setBreakpointsActive', { active });
  }

  private async place(target: WorkerTarget): Promise<void> {
    const previous = this.placed;
    this.placed = [];
    await Promise.all(previous.map((breakpointId) => target.send('Debugger.removeBreakpoint', { breakpointId })));
    for (const b of this.breakpoints) {
      const at = this.code.scriptPosition(b.path, b.line);
      if (!at) continue;
      const { breakpointId } = await target.send<{ breakpointId: string }>('Debugger.setBreakpointByUrl', {
        urlRegex: urlPattern(at.url),
        lineNumber: at.line,
        columnNumber: at.column,
        condition: liveCondition(b.id, b.condition, b.hitCondition),
      });
      this.placed.push(breakpointId);
    }
  }

  /** Adds breakpoints at the start of each of these functions' code, so the next live step pauses as it enters one. */
  async armEntry(ranges: { path: string; line: number; endLine: number }[]): Promise<void> {
    const target = await this.attach();
    for (const range of ranges) {
      // The first line in the function that code comes from (its header line may have none).
      for (let line = range.line; line <= range.endLine; line++) {
        const at = this.code.scriptPosition(range.path, line);
        if (!at) continue;
        const { breakpointId } = await target.send<{ breakpointId: string }>('Debugger.setBreakpointByUrl', {
          urlRegex: urlPattern(at.url),
          lineNumber: at.line,
          columnNumber: at.column,
          condition: liveCondition(0),
        });
        this.entry.push(breakpointId);
        break;
      }
    }
  }

  private async disarmEntry(): Promise<void> {
    const ids = this.entry;
    this.entry = [];
    if (this.target) await Promise.all(ids.map((breakpointId) => this.target!.send('Debugger.removeBreakpoint', { breakpointId })));
  }

  /** The worker's CDP session, attached and with its debugger on; again when the worker changed. */
  private async attach(): Promise<WorkerTarget> {
    const threadId = this.session.workerThreadId;
    if (this.target?.threadId === threadId) return this.target;
    const target = await this.inspector.target(threadId);
    this.target = target;
    this.scripts.clear();
    target.onEvent((method, params) => void this.onEvent(target, method, params));
    await target.send('Debugger.enable');
    // Inactive but while a live run is under way: a breakpoint on a hot line costs ~2 µs a pass then, not a condition's ~150 µs.
    await target.send('Debugger.setBreakpointsActive', { active: false });
    this.placed = [];
    this.entry = [];
    await this.place(target);
    return target;
  }

  private async onEvent(target: WorkerTarget, method: string, params: unknown): Promise<void> {
    if (target !== this.target) return;
    if (method === 'Debugger.scriptParsed') {
      const { scriptId, url } = params as { scriptId: string; url: string };
      this.scripts.set(scriptId, url);
      return;
    }
    if (method === 'Debugger.resumed') {
      this.paused = undefined;
      this.session.holdTimeBudget(false);
      this.handlers.resumed();
      return;
    }
    if (method !== 'Debugger.paused') return;
    this.session.holdTimeBudget(true);
    const { hitBreakpoints = [] } = params as { hitBreakpoints?: string[] };
    // A frame's own `url` is deprecated (and empty in workers): its script's, from scriptParsed.
    const callFrames = (params as { callFrames: CallFrame[] }).callFrames.map((f) => ({
      ...f,
      url: this.scripts.get(f.location.scriptId) ?? f.url,
    }));
    try {
      const code = this.code;
      const frames = callFrames.filter((f) => code.isUserScript(f.url));
      if (!frames.length || !code.isUserScript(callFrames[0].url)) {
        // A step came out of (or went under) the user's code: back to it, or else the step is done.
        if (frames.length) await target.send('Debugger.stepOut');
        else await this.endStep(callFrames[0]?.callFrameId);
        return;
      }
      const step = await this.snapshot(target, callFrames[0].callFrameId);
      const hit = hitBreakpoints.some((id) => this.placed.includes(id));
      const entered = hitBreakpoints.some((id) => this.entry.includes(id));
      await this.disarmEntry();
      this.paused = {
        reason: this.stepping || (entered && !hit) ? 'step' : hit ? 'breakpoint' : 'pause',
        frames: frames.map((f) => this.userFrame(f)),
        step,
      };
      this.stepping = false;
      this.handlers.paused(this.paused);
    } catch (error) {
      this.handlers.log(`Could not read the paused worker: ${error instanceof Error ? error.message : String(error)}\n`);
      await target.send('Debugger.resume').catch(() => undefined);
    }
  }

  private userFrame(frame: CallFrame): UserFrame {
    const at = this.code.originalOf(frame.url, frame.location.lineNumber, frame.location.columnNumber);
    return {
      callFrameId: frame.callFrameId,
      name: frame.functionName || '(anonymous)',
      ...at,
      scopes: frame.scopeChain.filter((s) => SCOPE_NAMES[s.type]).map((s) => ({ name: SCOPE_NAMES[s.type], object: s.object })),
    };
  }

  /** The step the paused worker is applying, read from the live hook. */
  private async snapshot(target: WorkerTarget, callFrameId: string): Promise<LiveSnapshot> {
    const { result } = await target.send<{ result: RemoteObject }>('Debugger.evaluateOnCallFrame', {
      callFrameId,
      expression: `globalThis.${LIVE_HOOK}.snapshot()`,
      returnByValue: true,
      silent: true,
    });
    if (typeof result.value !== 'string') throw new EventscopeError('The paused worker did not say which step it is in.');
    return deserialize(Buffer.from(result.value, 'base64')) as LiveSnapshot;
  }

  /** Ends the live run after the step the worker is paused in, and lets it finish that step. */
  private async endStep(callFrameId: string | undefined): Promise<void> {
    const target = this.target!;
    this.stepping = false;
    if (callFrameId) {
      await target.send('Debugger.evaluateOnCallFrame', { callFrameId, expression: `globalThis.${LIVE_HOOK}.stop = true`, silent: true });
    }
    await target.send('Debugger.resume');
  }

  // -------------------------------------------------------------------------------------------
  // While paused

  private get pausedTarget(): WorkerTarget {
    if (!this.paused || !this.target) throw new EventscopeError('The projection code is not paused.');
    return this.target;
  }

  resume(): Promise<unknown> {
    const target = this.pausedTarget;
    this.stepping = false;
    return target.send('Debugger.resume');
  }

  /** Ends the step the worker is paused in (the run stops after it) and resumes. */
  finishStep(): Promise<void> {
    if (!this.paused) throw new EventscopeError('The projection code is not paused.');
    return this.endStep(this.paused.frames[0].callFrameId);
  }

  /** Steps over / into / out of the user's lines. */
  step(kind: 'over' | 'into' | 'out'): Promise<unknown> {
    const target = this.pausedTarget;
    this.stepping = true;
    return target.send(kind === 'over' ? 'Debugger.stepOver' : kind === 'into' ? 'Debugger.stepInto' : 'Debugger.stepOut');
  }

  /** Pauses the worker wherever it is (a long live run). */
  async pause(): Promise<void> {
    if (this.target) await this.target.send('Debugger.pause');
  }

  /** The own properties of a remote object. */
  async properties(objectId: string): Promise<{ name: string; value: RemoteObject }[]> {
    const { result } = await this.pausedTarget.send<{ result: { name: string; value?: RemoteObject; get?: RemoteObject }[] }>(
      'Runtime.getProperties',
      { objectId, ownProperties: true, generatePreview: true },
    );
    return result.filter((p) => p.value !== undefined).map((p) => ({ name: p.name, value: p.value! }));
  }

  /** Evaluates an expression in a paused frame (its locals in scope). */
  async evaluate(callFrameId: string, expression: string, hover: boolean): Promise<RemoteObject> {
    const { result, exceptionDetails } = await this.pausedTarget.send<{
      result: RemoteObject;
      exceptionDetails?: { text: string; exception?: RemoteObject };
    }>('Debugger.evaluateOnCallFrame', {
      callFrameId,
      expression,
      generatePreview: true,
      silent: true,
      ...(hover ? { throwOnSideEffect: true } : {}),
    });
    if (exceptionDetails) throw new EventscopeError(exceptionDetails.exception?.description?.split('\n')[0] ?? exceptionDetails.text);
    return result;
  }

  async dispose(): Promise<void> {
    const target = this.target;
    this.target = undefined;
    // Debugger.disable lets a paused worker go on (it would never finish its step, nor close).
    if (target)
      await Promise.race([target.send('Debugger.disable').catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    this.inspector.dispose();
  }
}

/** A script URL as a pattern: the path as the worker loaded it, or as a file: URL. */
function urlPattern(url: string): string {
  const escaped = url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `^(file://)?${escaped}$`;
}

/** One line for a value in the paused worker, as the Variables view shows it. */
export function describeRemote(object: RemoteObject): DebugProtocol.Variable['value'] {
  switch (object.type) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return JSON.stringify(object.value);
    case 'number':
    case 'boolean':
      return object.unserializableValue ?? String(object.value);
    case 'bigint':
      return object.unserializableValue ?? object.description ?? '';
    case 'function':
      return `ƒ ${object.description?.split('\n')[0] ?? ''}`;
    case 'object': {
      if (object.subtype === 'null') return 'null';
      const preview = object.preview;
      if (!preview) return object.description ?? object.className ?? 'Object';
      const array = preview.subtype === 'array';
      const items = preview.properties.map((p) => {
        const value =
          p.type === 'string'
            ? JSON.stringify(p.value)
            : p.type === 'object' && p.subtype !== 'null'
              ? (p.value ?? '{…}')
              : (p.value ?? p.type);
        return array ? value : `${p.name}: ${value}`;
      });
      const more = preview.overflow ? ', …' : '';
      const body = array ? `[${items.join(', ')}${more}]` : `{${items.join(', ')}${more}}`;
      const prefix = object.className && object.className !== 'Object' && !array ? `${object.className} ` : '';
      return `${prefix}${body}`;
    }
    default:
      return object.description ?? String(object.value);
  }
}
