import { Worker } from 'node:worker_threads';

/**
 * A worker thread running a TypeScript module of this repo: the worker registers tsx's loader
 * first, as the bin/ launchers do, then imports the module (which checks `isMainThread`).
 */
export function startTypeScriptWorker(moduleUrl: string, workerData: unknown): Worker {
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
