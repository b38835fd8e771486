/**
 * The Python bridge's thread (bundled as dist/python-bridge.js): it owns the runner process and
 * relays a synchronous caller's requests to it (see bridge.ts). Every message it posts back bumps
 * a shared counter, which is what the caller waits on.
 */

import { workerData, type MessagePort } from 'node:worker_threads';
import { messageOf } from '../errors';
import { PythonError, PythonRunner, type PythonOps, type PythonRunnerOptions } from './runner';
import type { BridgeMessage } from './bridge';

const { port, signal, options } = workerData as { port: MessagePort; signal: SharedArrayBuffer; options: PythonRunnerOptions };
const cells = new Int32Array(signal);
const runner = new PythonRunner(options);

function post(message: BridgeMessage): void {
  port.postMessage(message);
  Atomics.add(cells, 0, 1);
  Atomics.notify(cells, 0);
}

port.on('message', (request: { op: keyof PythonOps; args: never }) => {
  runner
    .request(request.op, request.args, (at) => post({ at }))
    .then(
      (value) => post({ ok: true, value }),
      (error: unknown) =>
        post({
          ok: false,
          error:
            error instanceof PythonError
              ? { message: messageOf(error), python: { where: error.where, traceback: error.pythonTraceback } }
              : { message: messageOf(error) },
        }),
    );
});
