import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointStore, FailureDestination, FailureRecord } from './types.js';
import { readFileSync } from 'node:fs';

/** Keeps failures in memory (tests, and the live view of `npm start`). */
export function memoryDestination(): FailureDestination & { failures: FailureRecord[] } {
  const failures: FailureRecord[] = [];
  return {
    failures,
    async send(failure) {
      failures.push(failure);
    },
  };
}

/** One JSON object per failed batch in `dir`, like the S3 on-failure destination. */
export function directoryDestination(dir: string): FailureDestination {
  mkdirSync(dir, { recursive: true });
  return {
    async send(failure) {
      const info = failure.KinesisBatchInfo;
      const name = `${failure.timestamp.replace(/[:.]/g, '-')}-${info.shardId}-${info.startSequenceNumber}.json`;
      writeFileSync(join(dir, name), `${JSON.stringify(failure, null, 2)}\n`);
    },
  };
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
