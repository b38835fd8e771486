/** The second thread of `eventscope log` (bundled as dist/log-worker.js): see eventPages.ts. */

import { parentPort, workerData } from 'node:worker_threads';
import { toWire } from '../core/errors';
import { openStore } from '../core/stores/open';
import { renderRange, type LogWorkerData, type RangeReply, type RangeRequest } from './eventPages';

const data = workerData as LogWorkerData;
const store = openStore(data.location, {
  ...(data.cipherKey ? { cipherKey: Buffer.from(data.cipherKey) } : {}),
  ...(data.transcodings ? { transcodings: data.transcodings } : {}),
});

parentPort!.postMessage({ ready: true } satisfies RangeReply);

parentPort!.on('message', (request: RangeRequest) => {
  renderRange(store, request.from, data.separator, data.typed).then(
    (page) => parentPort!.postMessage({ id: request.id, page } satisfies RangeReply),
    (error: unknown) => parentPort!.postMessage({ id: request.id, error: toWire(error) } satisfies RangeReply),
  );
});
