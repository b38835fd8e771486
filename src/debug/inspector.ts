/**
 * The Chrome DevTools Protocol into the replay worker, from the thread the adapter runs on: Node's
 * inspector (`node:inspector`) in-process, its NodeWorker domain attaching to worker threads. A
 * breakpoint pauses only the worker; this thread keeps answering the debug client, reads the
 * paused frames and their scopes, evaluates, steps and resumes. No port, no child process: it
 * works the same in the extension host and in the standalone adapter.
 */

import { Session } from 'node:inspector';
import { EventscopeError } from '../core/errors';

/** A CDP message from a worker: a reply (id) or an event (method). */
interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}

type EventListener = (method: string, params: unknown) => void;

/** One worker thread's CDP session. */
export class WorkerTarget {
  constructor(
    private readonly inspector: WorkerInspector,
    readonly threadId: number,
    readonly sessionId: string,
  ) {}

  /** Sends a CDP command to the worker; its result. */
  send<T = unknown>(method: string, params: object = {}): Promise<T> {
    return this.inspector.send(this.sessionId, method, params) as Promise<T>;
  }

  /** Calls `listener` with each CDP event of this worker. */
  onEvent(listener: EventListener): void {
    this.inspector.listen(this.sessionId, listener);
  }
}

export class WorkerInspector {
  private readonly session = new Session();
  private readonly attached = new Map<number, string>();
  private readonly waiting = new Map<number, (sessionId: string) => void>();
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  private readonly listeners = new Map<string, EventListener>();
  private nextId = 1;
  private started: Promise<void> | undefined;

  /** Connects (once) and attaches to the process's worker threads as they are, and as they start. */
  private start(): Promise<void> {
    this.started ??= new Promise<void>((resolve, reject) => {
      this.session.connect();
      this.session.on('NodeWorker.attachedToWorker', ({ params }) => {
        // The worker's id is the inspector's own count; its title names its thread: "[worker 3] …".
        const threadId = Number(/^\[worker (\d+)\]/.exec(params.workerInfo.title)?.[1] ?? params.workerInfo.workerId);
        this.attached.set(threadId, params.sessionId);
        this.waiting.get(threadId)?.(params.sessionId);
        this.waiting.delete(threadId);
      });
      this.session.on('NodeWorker.detachedFromWorker', ({ params }) => {
        for (const [threadId, sessionId] of this.attached) if (sessionId === params.sessionId) this.attached.delete(threadId);
        this.listeners.delete(params.sessionId);
      });
      this.session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => this.receive(params.sessionId, params.message));
      this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (error) => (error ? reject(error) : resolve()));
    });
    return this.started;
  }

  /** The CDP session of worker thread `threadId` (waits for it to be attached). */
  async target(threadId: number, timeoutMs = 10_000): Promise<WorkerTarget> {
    await this.start();
    const known = this.attached.get(threadId);
    const sessionId =
      known ??
      (await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiting.delete(threadId);
          reject(new EventscopeError(`The debugger could not attach to the replay worker (thread ${threadId}).`));
        }, timeoutMs);
        this.waiting.set(threadId, (id) => {
          clearTimeout(timer);
          resolve(id);
        });
      }));
    return new WorkerTarget(this, threadId, sessionId);
  }

  send(sessionId: string, method: string, params: object): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) }, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }

  listen(sessionId: string, listener: EventListener): void {
    this.listeners.set(sessionId, listener);
  }

  private receive(sessionId: string, text: string): void {
    const message = JSON.parse(text) as Message;
    if (message.id !== undefined) {
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) pending?.reject(new EventscopeError(`The inspector refused: ${message.error.message}.`));
      else pending?.resolve(message.result);
      return;
    }
    if (message.method) this.listeners.get(sessionId)?.(message.method, message.params);
  }

  dispose(): void {
    for (const pending of this.pending.values()) pending.reject(new EventscopeError('The debugger was closed.'));
    this.pending.clear();
    if (this.started) this.session.disconnect();
  }
}
