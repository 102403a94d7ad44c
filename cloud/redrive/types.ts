import type { Clock } from '../functions/shared/types.js';

/** One stored failure document: an S3 object, or a file of the local stack's state folder. */
export interface FailureDocument {
  /** Its S3 key, or its path relative to the state folder. */
  key: string;
  body: string;
  /** When it was written, epoch ms, where the store knows. */
  lastModifiedMs?: number;
}

/** What was done with a document, kept beside it so a later run (or a person) can see it. */
export interface RedriveNote {
  redrivenAt: number;
  /** Records put on the stream for it (0: nothing needed sending). */
  records: number;
  reason?: string;
}

/** Where the failures are kept. A document once marked is never pending again. */
export interface FailureStore {
  /** Documents not yet marked re-driven. */
  pending(): Promise<FailureDocument[]>;
  markRedriven(key: string, note: RedriveNote): Promise<void>;
}

export interface StreamRecordData {
  partitionKey: string;
  data: Uint8Array;
}

/** A record to put back, with an identity that is the same wherever it was recovered from. */
export interface RecoveredRecord extends StreamRecordData {
  id: string;
}

/** Reads a shard's records back by sequence range; undefined when the stream no longer holds them. */
export interface StreamReader {
  readRange(
    shardId: string,
    startSequenceNumber: string,
    endSequenceNumber: string,
  ): Promise<RecoveredRecord[] | undefined>;
}

/** PutRecords: resolves to the indexes of the records the stream did not accept. */
export interface StreamWriter {
  putRecords(records: StreamRecordData[]): Promise<number[]>;
}

export interface RedriveDeps {
  store: FailureStore;
  writer: StreamWriter;
  /** Unset: a failed batch whose document lacks its records cannot be recovered. */
  reader?: StreamReader;
  clock: Clock;
  /** One progress line. */
  log(line: string): void;
  /** Waits between attempts at records the stream refused (throttling). */
  sleep?(ms: number): Promise<void>;
}

export interface RedriveSummary {
  /** Pending documents read. */
  documents: number;
  /** Records put on the stream. */
  sent: number;
  /** Records a dry run would put. */
  wouldSend: number;
  /** Documents that needed nothing sent (marked done). */
  skipped: number;
  /** Documents whose records cannot be had back (left in place). */
  unrecoverable: number;
  /** Records the stream still refused after every attempt (their documents stay pending). */
  failed: number;
}
