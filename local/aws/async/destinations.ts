import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AsyncFailureDestination, AsyncFailureRecord } from './types.js';

/** Keeps failed events in memory (tests). */
export function memoryAsyncDestination(): AsyncFailureDestination & { failures: AsyncFailureRecord[] } {
  const failures: AsyncFailureRecord[] = [];
  return {
    failures,
    async send(failure) {
      failures.push(failure);
    },
  };
}

/** One JSON object per failed event in `dir`, like the S3 on-failure destination of an async invoke. */
export function directoryAsyncDestination(dir: string): AsyncFailureDestination {
  mkdirSync(dir, { recursive: true });
  return {
    async send(failure) {
      const name = `${failure.timestamp.replace(/[:.]/g, '-')}-${failure.requestContext.requestId}.json`;
      writeFileSync(join(dir, name), `${JSON.stringify(failure, null, 2)}\n`);
    },
  };
}
