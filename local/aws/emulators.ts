import type { Server } from 'node:http';
import { startTypeScriptWorker } from '../worker.js';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import { closeServer, listenLoopback } from './servers.js';

export interface EmulatorPaths {
  /** LevelDB directories; in memory when absent. */
  kinesisPath?: string;
  dynamoPath?: string;
}

export interface Emulators {
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  stop(): Promise<void>;
}

const kinesisServer = (path?: string): Server =>
  kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 64,
    ...(path && { path }),
  });

const dynamodbServer = (path?: string): Server =>
  dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path && { path }),
  });

function createServers(paths: EmulatorPaths): Server[] {
  return [kinesisServer(paths.kinesisPath), dynamodbServer(paths.dynamoPath)];
}

/** kinesalite and dynalite on loopback ports in this thread. */
export async function startEmulatorsInProcess(paths: EmulatorPaths): Promise<Emulators> {
  const servers = createServers(paths);
  const [kinesisEndpoint, dynamodbEndpoint] = await Promise.all(servers.map(listenLoopback));
  return {
    kinesisEndpoint: kinesisEndpoint!,
    dynamodbEndpoint: dynamodbEndpoint!,
    stop: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}

type EmulatorJob = { emulator: 'kinesis' | 'dynamodb'; path?: string };

async function startServerInWorker(job: EmulatorJob): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const worker = startTypeScriptWorker(import.meta.url, job);
  const endpoint = await new Promise<string>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`${job.emulator} emulator worker exited with code ${code} before it was ready`)),
    );
  });
  return {
    endpoint,
    async stop() {
      const stopped = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}

/**
 * The same servers in worker threads, one each. Each kinesalite/dynalite call is a chain of LevelDB
 * steps through the event loop; sharing that loop with a busy broker and consumers made a PutRecord
 * take up to a second under load (the AWS services, like towers, are other machines, not our loop).
 * Apart, an alert's DynamoDB calls do not wait behind every consumer's GetRecords.
 */
export async function startEmulatorsInWorker(paths: EmulatorPaths): Promise<Emulators> {
  const [kinesis, dynamodb] = await Promise.all([
    startServerInWorker({ emulator: 'kinesis', ...(paths.kinesisPath && { path: paths.kinesisPath }) }),
    startServerInWorker({ emulator: 'dynamodb', ...(paths.dynamoPath && { path: paths.dynamoPath }) }),
  ]);
  return {
    kinesisEndpoint: kinesis.endpoint,
    dynamodbEndpoint: dynamodb.endpoint,
    async stop() {
      await Promise.all([kinesis.stop(), dynamodb.stop()]);
    },
  };
}

if (!isMainThread && parentPort && (workerData as Partial<EmulatorJob>)?.emulator) {
  const port = parentPort;
  const job = workerData as EmulatorJob;
  const server = job.emulator === 'kinesis' ? kinesisServer(job.path) : dynamodbServer(job.path);
  const endpoint = await listenLoopback(server);
  port.on('message', async () => {
    await closeServer(server);
    port.postMessage('stopped');
  });
  port.postMessage(endpoint);
}
