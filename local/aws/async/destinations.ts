import { fileStamp, jsonFileFailures, memoryFailures } from '../failure-files.js';
import type { AsyncFailureDestination, AsyncFailureRecord } from './types.js';

/** Keeps failed events in memory (tests). */
export function memoryAsyncDestination(): AsyncFailureDestination & { failures: AsyncFailureRecord[] } {
  return memoryFailures<AsyncFailureRecord>();
}

/** One JSON object per failed event in `dir`, like the S3 on-failure destination of an async invoke. */
export function directoryAsyncDestination(dir: string): AsyncFailureDestination {
  return jsonFileFailures<AsyncFailureRecord>(
    dir,
    (f) => `${fileStamp(f.timestamp)}-${f.requestContext.requestId}`,
  );
}
