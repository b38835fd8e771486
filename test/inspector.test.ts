/**
 * The debugger's way into the replay worker (src/debug/inspector.ts): Node's in-process inspector
 * attaching to worker threads. It must find a worker by its thread id even when the inspector's own
 * numbering differs (a worker started and ended before it, as in a long-lived extension host).
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { WorkerInspector } from '../src/debug/inspector';

/** A worker that says who it is (its thread id) on its global object, then says it is ready. */
const KEEP_ALIVE = `const { parentPort, threadId } = require('node:worker_threads');
globalThis.whoAmI = [threadId, 6 * 7];
parentPort.on('message', () => {});
parentPort.postMessage('ready');`;

describe('debugger: attaching to a worker thread through the inspector', () => {
  it('finds a worker by its thread id after others came and went, and evaluates in it', async () => {
    const gone = new Worker(KEEP_ALIVE, { eval: true });
    await once(gone, 'message');
    await gone.terminate();
    const inspector = new WorkerInspector();
    const other = new Worker(KEEP_ALIVE, { eval: true });
    const worker = new Worker(KEEP_ALIVE, { eval: true });
    try {
      await Promise.all([once(other, 'message'), once(worker, 'message')]);
      const target = await inspector.target(worker.threadId);
      assert.equal(target.threadId, worker.threadId);
      const { result } = await target.send<{ result: { value: unknown } }>('Runtime.evaluate', {
        expression: 'whoAmI',
        returnByValue: true,
      });
      assert.deepEqual(result.value, [worker.threadId, 42]);
    } finally {
      inspector.dispose();
      await Promise.all([other.terminate(), worker.terminate()]);
    }
  });

  it('says so in one sentence when no such worker appears', async () => {
    const inspector = new WorkerInspector();
    try {
      await assert.rejects(inspector.target(987_654, 300), /could not attach to the replay worker \(thread 987654\)/);
    } finally {
      inspector.dispose();
    }
  });
});
