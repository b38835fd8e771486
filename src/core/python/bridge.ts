/**
 * A synchronous connection to the Python runner, for the replay core, whose engines apply events
 * synchronously. The runner process belongs to a small thread of its own (bridgeWorker.ts); a
 * call posts the request to it and blocks on a shared counter (`Atomics.wait`) until the reply
 * arrives, reading it with `receiveMessageOnPort`. Works in a worker thread and in a main thread.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { EventscopeError } from '../errors';
import { interpreterOf, PythonError, type PythonOps, type PythonRunnerOptions } from './runner';

/** What the bridge thread posts: a reply, or that event `at` of the request runs long. */
export type BridgeMessage =
  | { at: number }
  | { ok: true; value: unknown }
  | { ok: false; error: { message: string; python?: { where?: string; traceback?: string } } };

function bridgeScript(): string {
  const candidates = [join(__dirname, 'python-bridge.js'), join(__dirname, '..', '..', '..', 'dist', 'python-bridge.js')];
  return candidates.find((path) => existsSync(path)) ?? candidates[0];
}

export class SyncPython {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly cells: Int32Array;
  private closed = false;
  readonly interpreter: string;

  constructor(options: PythonRunnerOptions = {}) {
    this.interpreter = interpreterOf(options);
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    this.cells = new Int32Array(signal);
    this.port = port1;
    this.worker = new Worker(bridgeScript(), { workerData: { port: port2, signal, options }, transferList: [port2] });
    this.worker.unref();
    this.worker.on('error', () => {
      // A failed bridge fails the call waiting on it (see `call`).
    });
  }

  /**
   * One operation, waited for; `onAt` hears which event of it runs long. Past `deadlineMs` the
   * runner is stopped and the call fails (the host's watchdog times the rest).
   */
  call<K extends keyof PythonOps>(
    op: K,
    args: PythonOps[K]['args'],
    onAt?: (n: number) => void,
    deadlineMs = Infinity,
  ): PythonOps[K]['reply'] {
    if (this.closed) throw new EventscopeError('The Python runner was closed.');
    this.port.postMessage({ op, args });
    const deadline = performance.now() + deadlineMs;
    for (;;) {
      const seen = Atomics.load(this.cells, 0);
      const received = receiveMessageOnPort(this.port);
      if (!received) {
        // Wakes on the next message; a bridge thread that died can't post one, so look again now and then.
        const left = Math.min(1000, deadline - performance.now());
        if (left <= 0) {
          this.dispose();
          throw new EventscopeError(
            `The Python runner (${this.interpreter}) did not answer within ${Math.round(deadlineMs / 1000)} s; it was stopped.`,
          );
        }
        if (Atomics.wait(this.cells, 0, seen, left) === 'timed-out' && this.worker.threadId < 0) {
          throw new EventscopeError(`The Python runner (${this.interpreter}) stopped answering.`);
        }
        continue;
      }
      const message = received.message as BridgeMessage;
      if ('at' in message) {
        onAt?.(message.at);
        continue;
      }
      if (message.ok) return message.value as PythonOps[K]['reply'];
      const { python } = message.error;
      if (python) {
        const plain = message.error.message.replace(/ \(at [^)]*\)$/, '');
        throw new PythonError(plain, python.where, undefined, python.traceback);
      }
      throw new EventscopeError(message.error.message);
    }
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    // The runner ends when its stdin closes, which the bridge thread's end does too.
    void this.worker.terminate();
  }
}
