import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority, startTypeScriptWorker } from '../../worker.js';
import { localKinesisClient, SdkKinesisSink } from './kinesis.js';
import type { KinesisRecord, KinesisSink } from './types.js';

/** The rules engine's Kinesis action, run in a worker thread; `stop()` ends the thread. */
export interface WorkerKinesisSink extends KinesisSink {
  stop(): Promise<void>;
}

export interface KinesisSinkWorkerOptions {
  /** kinesalite (or any Kinesis endpoint) the action writes to. */
  endpoint: string;
  /** Nice value of the thread (Linux: per thread; elsewhere ignored). Default 0. */
  niceness?: number;
}

/** Marks this module's own workers: other workers of the stack import it too. */
const ROLE = 'towerwatchKinesisAction';

type Request = { type: 'put'; id: number; record: KinesisRecord } | { type: 'stop' };
type Reply =
  | { type: 'ready' }
  | { type: 'done'; id: number; error?: { name: string; message: string } }
  | { type: 'stopped' };

/**
 * IoT Core's Kinesis action off the broker's thread, as the rules engine is another service than
 * the broker in AWS. Measured in the e2e bench (CPU profile of the broker thread): the SDK's
 * PutRecord per message (middleware, signing the body, HTTP) was about a third of that thread's
 * busy time, and an alert's direct invoke waited behind it. Errors come back with their name and
 * message, so the error action records what Kinesis said; a worker that dies fails every put.
 */
export async function startKinesisSinkInWorker(
  options: KinesisSinkWorkerOptions,
): Promise<WorkerKinesisSink> {
  const worker = startTypeScriptWorker(import.meta.url, { ...options, [ROLE]: true });
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let gone: Error | undefined;
  let onStopped: (() => void) | undefined;
  const failAll = (e: Error) => {
    gone ??= e;
    for (const p of pending.values()) p.reject(gone);
    pending.clear();
  };
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (reply: Reply) => {
      if (reply.type === 'ready') resolve();
      else if (reply.type === 'stopped') onStopped?.();
      else {
        const p = pending.get(reply.id);
        pending.delete(reply.id);
        if (!p) return;
        if (reply.error) p.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
        else p.resolve();
      }
    });
    worker.on('error', (e) => {
      failAll(new Error(`the Kinesis action's worker failed: ${e.message}`));
      reject(e);
    });
    worker.on('exit', (code) => {
      const e = new Error(`the Kinesis action's worker exited (code ${code})`);
      failAll(e);
      reject(e);
    });
  });
  return {
    putRecord(record) {
      if (gone) return Promise.reject(gone);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'put', id, record } satisfies Request);
      });
    },
    async stop() {
      if (!gone) {
        const stopped = new Promise<void>((resolve) => {
          onStopped = resolve;
        });
        worker.postMessage({ type: 'stop' } satisfies Request);
        await Promise.race([stopped, new Promise((r) => worker.once('exit', r))]);
      }
      failAll(new Error("the Kinesis action's worker is stopped"));
      await worker.terminate();
    },
  };
}

function runWorker(options: KinesisSinkWorkerOptions): void {
  const port = parentPort!;
  lowerThreadPriority(options.niceness);
  const sink = new SdkKinesisSink(localKinesisClient(options.endpoint));
  const inFlight = new Set<Promise<void>>();
  port.on('message', (request: Request) => {
    if (request.type === 'stop') {
      // Puts already sent finish first: the broker drained before it stopped us.
      void Promise.allSettled(inFlight).then(() => port.postMessage({ type: 'stopped' } satisfies Reply));
      return;
    }
    const put = sink.putRecord(request.record).then(
      () => port.postMessage({ type: 'done', id: request.id } satisfies Reply),
      (e: Error) =>
        port.postMessage({
          type: 'done',
          id: request.id,
          error: { name: e.name, message: e.message },
        } satisfies Reply),
    );
    inFlight.add(put);
    void put.finally(() => inFlight.delete(put));
  });
  port.postMessage({ type: 'ready' } satisfies Reply);
}

if (!isMainThread && (workerData as Record<string, unknown> | undefined)?.[ROLE]) {
  runWorker(workerData as KinesisSinkWorkerOptions);
}
