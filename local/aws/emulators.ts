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

function createServers(paths: EmulatorPaths): Server[] {
  return [
    kinesalite({
      createStreamMs: 0,
      deleteStreamMs: 0,
      updateStreamMs: 0,
      shardLimit: 64,
      ...(paths.kinesisPath && { path: paths.kinesisPath }),
    }),
    dynalite({
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      ...(paths.dynamoPath && { path: paths.dynamoPath }),
    }),
  ];
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

/**
 * The same servers in a worker thread. Each kinesalite/dynalite call is a chain of LevelDB steps
 * through the event loop; sharing that loop with a busy broker and consumers made a PutRecord take
 * up to a second under load (the AWS services, like towers, are other machines, not our loop).
 */
export async function startEmulatorsInWorker(paths: EmulatorPaths): Promise<Emulators> {
  const worker = startTypeScriptWorker(import.meta.url, paths);
  const ready = await new Promise<{ kinesisEndpoint: string; dynamodbEndpoint: string }>(
    (resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new Error(`emulator worker exited with code ${code} before it was ready`)),
      );
    },
  );
  return {
    ...ready,
    async stop() {
      const stopped = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const emulators = await startEmulatorsInProcess(workerData as EmulatorPaths);
  port.on('message', async () => {
    await emulators.stop();
    port.postMessage('stopped');
  });
  port.postMessage({
    kinesisEndpoint: emulators.kinesisEndpoint,
    dynamodbEndpoint: emulators.dynamodbEndpoint,
  });
}
