import { readFileSync, writeFileSync } from 'node:fs';
import { fileStamp, jsonFileFailures, memoryFailures } from '../failure-files.js';
import type { CheckpointStore, FailureDestination, FailureRecord } from './types.js';

/** Keeps failures in memory (tests, and the live view of `npm start`). */
export function memoryDestination(): FailureDestination & { failures: FailureRecord[] } {
  return memoryFailures<FailureRecord>();
}

/** One JSON object per failed batch in `dir`, like the S3 on-failure destination. */
export function directoryDestination(dir: string): FailureDestination {
  return jsonFileFailures<FailureRecord>(dir, (f) => {
    const info = f.KinesisBatchInfo;
    return `${fileStamp(f.timestamp)}-${info.shardId}-${info.startSequenceNumber}`;
  });
}

export function memoryCheckpoints(): CheckpointStore {
  const positions = new Map<string, string>();
  return {
    get: (shardId) => positions.get(shardId),
    set: (shardId, seq) => void positions.set(shardId, seq),
  };
}

/** Checkpoints in a JSON file so a restarted local stack resumes where it stopped. */
export function fileCheckpoints(file: string): CheckpointStore {
  let positions: Record<string, string> = {};
  try {
    positions = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    positions = {};
  }
  return {
    get: (shardId) => positions[shardId],
    set(shardId, seq) {
      positions[shardId] = seq;
      writeFileSync(file, JSON.stringify(positions));
    },
  };
}
