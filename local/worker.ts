import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread running a TypeScript module of this repo: the worker registers tsx's loader
 * first, as the bin/ launchers do, then imports the module (which checks `isMainThread`).
 */
export function startTypeScriptWorker(moduleUrl: string, workerData: unknown): Worker {
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * Lowers the calling thread's priority (Linux: per thread; elsewhere ignored) for throughput work
 * that should lose a contended core to the alert path. Not permitted or not supported: it still
 * runs, only without the lower priority.
 */
export function lowerThreadPriority(niceness: number | undefined): void {
  if (!niceness) return;
  try {
    setPriority(niceness);
  } catch {
    // Not permitted or not supported: see above.
  }
}
