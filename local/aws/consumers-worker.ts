import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { TABLE } from '../../cloud/data/tables.js';
import { systemClock } from '../../cloud/functions/shared/types.js';
import { lowerThreadPriority, startTypeScriptWorker } from '../worker.js';
import { createLocalClients } from './clients.js';
import { type ConsumerStats, type StartConsumersOptions, startConsumers } from './consumers.js';
import type { FailureDestination, FailureRecord } from './esm/index.js';
import { memoryDestination } from './esm/index.js';
import { ensureStream, ensureTable } from './resources.js';
import type { ArchivedFile, Archiver, ArchiverStats } from '../archive/index.js';
import { ArchiverProxy, startWorkerArchive, type WorkerArchiveOptions } from './worker-archive.js';

/**
 * The stream consumers' figures as the worker last reported them: pushed every `STATS_EVERY_MS`
 * and with every reply, so `stats()` stays synchronous on the calling thread.
 */
export type StreamStats = Pick<ConsumerStats, 'mappings' | 'metrics'> & { archive?: ArchiverStats };

export interface StreamConsumersInWorkerOptions
  extends Pick<
    StartConsumersOptions,
    'streamName' | 'shardCount' | 'tableName' | 'iotDataEndpoint' | 'env' | 'mapping' | 'logLevel'
  > {
  endpoints: { kinesis: string; dynamodb: string; sns: string };
  /** Checkpoints and on-failure files (as `LocalAws.stateDir`); in memory when absent. */
  stateDir?: string;
  /**
   * Nice value of the worker thread (Linux: per thread; elsewhere ignored). The stream consumers
   * are throughput work; the alert path on the calling thread should win a contended core.
   */
  niceness?: number;
  /**
   * Requests the consumers keep open to DynamoDB at once (default `DYNAMODB_SOCKETS`). dynalite is
   * one event loop: a writer batch fans out into hundreds of BatchWriteItem calls, and every request
   * in flight there makes an alert's claim wait longer. DynamoDB itself has no such queue.
   */
  dynamodbMaxSockets?: number;
  /** Also run the archive (the local Firehose) here: it reads and rewrites every record, like the writer. */
  archive?: WorkerArchiveOptions;
  /** The worker failed (uncaught error or exit): the stream consumers are gone. */
  onError?: (error: Error) => void;
}

export interface StreamConsumersInWorker {
  stats(): StreamStats;
  /** Given-up batches per function: the worker's files under `stateDir`, else forwarded here. */
  failures: Record<string, FailureDestination>;
  setMappingEnabled(functionName: string, enabled: boolean): Promise<void>;
  /** With `archive`: the worker's archiver, seen from here. Stop it before `stop()`. */
  archive?: Archiver;
  /** Stops the mappings (each finishes or abandons its batch in hand) and ends the worker. */
  stop(): Promise<void>;
}

type WorkerOptions = Omit<StreamConsumersInWorkerOptions, 'onError'>;
type Request =
  | { type: 'setEnabled'; id: number; functionName: string; enabled: boolean }
  | { type: 'archive-flush'; id: number }
  | { type: 'archive-stop'; id: number; flush: boolean }
  | { type: 'flushed-done'; id: number; error?: string }
  | { type: 'stop'; id: number };
type Reply =
  | { type: 'ready'; stats: StreamStats; functions: string[] }
  | { type: 'stats'; stats: StreamStats }
  | { type: 'failure'; functionName: string; record: FailureRecord }
  | { type: 'flushed'; id: number; files: ArchivedFile[] }
  | { type: 'reply'; id: number; stats: StreamStats; result?: unknown; error?: string }
  | { type: 'error'; message: string };

const STATS_EVERY_MS = 50;
/** Enough to keep dynalite busy (it is one loop), few enough that an alert's call is not far back in its queue. */
const DYNAMODB_SOCKETS = 8;

/**
 * telemetry-writer, twin-updater and alert-notifier's stream copy behind their event source
 * mappings, in a worker thread: at 6,000 readings/s their SDK calls and decoding kept the broker's
 * event loop busy for hundreds of milliseconds at a time, and the alert rule's direct invoke queued
 * behind them. In AWS they are other machines; here they get their own loop (and a lower priority).
 */
export async function startStreamConsumersInWorker(
  options: StreamConsumersInWorkerOptions,
): Promise<StreamConsumersInWorker> {
  const { onError, ...data } = options;
  const worker = startTypeScriptWorker(import.meta.url, data satisfies WorkerOptions);
  let latest: StreamStats = { mappings: {}, metrics: {} };
  let failed: Error | undefined;
  let stopping = false;
  let nextId = 1;
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (e: Error) => void }>();
  const request = (make: (id: number) => Request) =>
    new Promise<unknown>((resolve, reject) => {
      if (failed) return reject(failed);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage(make(id));
    });
  const archive =
    options.archive &&
    new ArchiverProxy(options.archive.dir, (message) => request((id) => ({ ...message, id }) as Request));
  const take = (stats: StreamStats) => {
    latest = stats;
    if (archive && stats.archive) archive.latest = stats.archive;
  };
  const forwarded: Record<string, ReturnType<typeof memoryDestination>> = {};

  const fail = (error: Error) => {
    if (failed) return;
    failed = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    onError?.(error);
  };

  const ready = new Promise<string[]>((resolve, reject) => {
    worker.on('message', (reply: Reply) => {
      if (reply.type === 'ready') {
        take(reply.stats);
        resolve(reply.functions);
      } else if (reply.type === 'stats') {
        take(reply.stats);
      } else if (reply.type === 'failure') {
        void forwarded[reply.functionName]?.send(reply.record);
      } else if (reply.type === 'flushed') {
        archive?.handleFlushed(reply.files).then(
          () => worker.postMessage({ type: 'flushed-done', id: reply.id } satisfies Request),
          (e: Error) =>
            worker.postMessage({ type: 'flushed-done', id: reply.id, error: e.message } satisfies Request),
        );
      } else if (reply.type === 'reply') {
        take(reply.stats);
        const p = pending.get(reply.id);
        pending.delete(reply.id);
        if (reply.error) p?.reject(new Error(reply.error));
        else p?.resolve(reply.result);
      } else {
        const error = new Error(`stream consumers: ${reply.message}`);
        reject(error);
        fail(error);
      }
    });
    worker.on('error', (e) => {
      reject(e);
      fail(e);
    });
    worker.on('exit', (code) => {
      const error = new Error(`stream consumers worker exited with code ${code}`);
      reject(error);
      if (!stopping) fail(error);
    });
  });
  const functions = await ready;
  // The worker writes given-up batches to files itself when there is a state folder.
  const failures: Record<string, FailureDestination> = {};
  for (const fn of functions) {
    forwarded[fn] = memoryDestination();
    failures[fn] = forwarded[fn];
  }

  return {
    stats: () => latest,
    failures,
    ...(archive && { archive }),
    async setMappingEnabled(functionName, enabled) {
      await request((id) => ({ type: 'setEnabled', id, functionName, enabled }));
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      try {
        if (!failed) await request((id) => ({ type: 'stop', id }));
      } finally {
        await worker.terminate();
      }
    },
  };
}

async function runWorker(options: WorkerOptions): Promise<void> {
  const port = parentPort!;
  const send = (reply: Reply) => port.postMessage(reply);
  lowerThreadPriority(options.niceness);
  const clients = createLocalClients(options.endpoints, {
    dynamodbMaxSockets: options.dynamodbMaxSockets ?? DYNAMODB_SOCKETS,
  });
  const tableName = options.tableName ?? TABLE.localName;
  const consumers = await startConsumers({
    aws: {
      clients,
      clock: systemClock,
      ...(options.stateDir && { stateDir: options.stateDir }),
      sns: { topicArn: (name) => `arn:aws:sns:local:000000000000:${name}` },
      async createResources({ streamName, shardCount }) {
        const [streamArn] = await Promise.all([
          ensureStream(clients.kinesis, streamName, shardCount),
          ensureTable(clients.dynamodb, tableName),
        ]);
        return { streamName, streamArn, tableName, topicArn: '' };
      },
    },
    part: 'stream',
    streamName: options.streamName,
    tableName,
    ...(options.shardCount !== undefined && { shardCount: options.shardCount }),
    ...(options.iotDataEndpoint && { iotDataEndpoint: options.iotDataEndpoint }),
    ...(options.env && { env: options.env }),
    ...(options.mapping && { mapping: options.mapping }),
    ...(options.logLevel && { logLevel: options.logLevel }),
    ...(!options.stateDir && {
      failureDestination: (functionName: string): FailureDestination => ({
        async send(record) {
          send({ type: 'failure', functionName, record });
        },
      }),
    }),
  });
  const flushWaits = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextFlush = 1;
  let archive: Archiver | undefined;
  if (options.archive) {
    const streamArn = await ensureStream(clients.kinesis, options.streamName, options.shardCount ?? 1);
    archive = await startWorkerArchive(
      options.archive,
      { kinesis: clients.kinesis, streamName: options.streamName, streamArn, clock: systemClock },
      (files) =>
        new Promise<void>((resolve, reject) => {
          const id = nextFlush++;
          flushWaits.set(id, { resolve, reject });
          send({ type: 'flushed', id, files });
        }),
    );
  }
  let archiveStopped = !archive;
  const stats = (): StreamStats => {
    const { mappings, metrics } = consumers.stats();
    return { mappings, metrics, ...(archive && { archive: archive.stats() }) };
  };
  const timer = setInterval(() => send({ type: 'stats', stats: stats() }), STATS_EVERY_MS);
  port.on('message', (request: Request) => {
    if (request.type === 'flushed-done') {
      const wait = flushWaits.get(request.id);
      flushWaits.delete(request.id);
      if (request.error) wait?.reject(new Error(request.error));
      else wait?.resolve();
      return;
    }
    (async (): Promise<unknown> => {
      if (request.type === 'setEnabled') {
        await consumers.setMappingEnabled(request.functionName, request.enabled);
      } else if (request.type === 'archive-flush') {
        if (!archive) throw new Error('the archive does not run in this worker');
        return archive.flush();
      } else if (request.type === 'archive-stop') {
        archiveStopped = true;
        await archive?.stop({ flush: request.flush });
      } else {
        clearInterval(timer);
        // Staged rows stay on disk for the next start, as a crash would leave them.
        if (!archiveStopped) await archive?.stop({ flush: false });
        await consumers.stop();
        for (const c of Object.values(clients)) c.destroy();
      }
      return undefined;
    })().then(
      (result) => send({ type: 'reply', id: request.id, stats: stats(), result }),
      (e: Error) => send({ type: 'reply', id: request.id, stats: stats(), error: e.message }),
    );
  });
  send({ type: 'ready', stats: stats(), functions: Object.keys(consumers.failures) });
}

if (!isMainThread && parentPort && (workerData as { endpoints?: unknown })?.endpoints) {
  runWorker(workerData as WorkerOptions).catch((e: Error) =>
    parentPort!.postMessage({ type: 'error', message: e.message } satisfies Reply),
  );
}
