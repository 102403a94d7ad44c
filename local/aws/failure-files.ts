import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a Lambda's given-up events go: an event source mapping's batches or an async invoke's events. */
export interface FailureSink<T> {
  send(failure: T): Promise<void>;
}

/** Keeps failures in memory (tests, and the live view of `npm start`). */
export function memoryFailures<T>(): FailureSink<T> & { failures: T[] } {
  const failures: T[] = [];
  return {
    failures,
    async send(failure) {
      failures.push(failure);
    },
  };
}

/** One pretty-printed JSON file per failure in `dir`, named by `nameOf`, like an S3 on-failure destination. */
export function jsonFileFailures<T>(dir: string, nameOf: (failure: T) => string): FailureSink<T> {
  mkdirSync(dir, { recursive: true });
  return {
    async send(failure) {
      writeFileSync(join(dir, `${nameOf(failure)}.json`), `${JSON.stringify(failure, null, 2)}\n`);
    },
  };
}

/** An ISO timestamp made safe for a file name. */
export const fileStamp = (timestamp: string): string => timestamp.replace(/[:.]/g, '-');
