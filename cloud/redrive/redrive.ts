import { KINESIS } from '../../protocol/index.js';
import { type Recovery, recover } from './recover.js';
import type {
  FailureDocument,
  RecoveredRecord,
  RedriveDeps,
  RedriveSummary,
  StreamRecordData,
} from './types.js';

/** Attempts at records the stream refuses (PutRecords reports throttled entries one by one). */
const PUT_ATTEMPTS = 4;
const RETRY_BASE_MS = 200;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Splits records into PutRecords calls within the API's record-count and byte limits. */
function chunks(records: RecoveredRecord[]): RecoveredRecord[][] {
  const out: RecoveredRecord[][] = [];
  let current: RecoveredRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = r.data.byteLength + Buffer.byteLength(r.partitionKey, 'utf8');
    if (
      current.length > 0 &&
      (current.length === KINESIS.maxRecordsPerPutRecords || bytes + size > KINESIS.maxBytesPerPutRecords)
    ) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Puts records, retrying what the stream refuses; resolves to the ids that never landed. */
async function putAll(deps: RedriveDeps, records: RecoveredRecord[]): Promise<Set<string>> {
  const sleep = deps.sleep ?? defaultSleep;
  const refused = new Set<string>();
  for (const chunk of chunks(records)) {
    let todo = chunk;
    for (let attempt = 1; todo.length > 0 && attempt <= PUT_ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(RETRY_BASE_MS * 2 ** (attempt - 2));
      const data: StreamRecordData[] = todo.map(({ partitionKey, data }) => ({ partitionKey, data }));
      const failed = await deps.writer.putRecords(data);
      todo = failed.map((i) => todo[i]!);
    }
    for (const r of todo) refused.add(r.id);
  }
  return refused;
}

interface Planned {
  doc: FailureDocument;
  records: RecoveredRecord[];
}

const towersOf = (records: RecoveredRecord[]) => [...new Set(records.map((r) => r.partitionKey))].join(', ');

/** A range becomes the records read back from the stream, or unrecoverable. */
async function resolve(
  deps: RedriveDeps,
  doc: FailureDocument,
  recovery: Recovery,
): Promise<Exclude<Recovery, { kind: 'range' }>> {
  if (recovery.kind !== 'range') return recovery;
  const { shardId, startSequenceNumber: start, endSequenceNumber: end } = recovery;
  if (!deps.reader) {
    return {
      kind: 'unrecoverable',
      reason: `the batch's records are not in ${doc.key} and no stream was given`,
    };
  }
  const records = await deps.reader.readRange(shardId, start, end);
  if (!records || records.length === 0) {
    return {
      kind: 'unrecoverable',
      reason: `the stream no longer holds ${shardId} ${start}..${end} (past its retention)`,
    };
  }
  return { kind: 'records', records };
}

/**
 * Puts the rule-error and stream-failure payloads back on the stream. Each document's records are
 * recovered (rebuilt from a rule error, taken from a batch failure or read back from the stream),
 * sent once per run whichever documents name them, and the document is marked only after all of
 * its records landed. A crash between the put and the mark sends them again on the next run, which
 * the consumers absorb: they de-duplicate by (towerId, seq, index) and (tower, alertId, state).
 */
export async function redrive(deps: RedriveDeps, opts: { dryRun: boolean }): Promise<RedriveSummary> {
  const docs = await deps.store.pending();
  const summary: RedriveSummary = {
    documents: docs.length,
    sent: 0,
    wouldSend: 0,
    skipped: 0,
    unrecoverable: 0,
    failed: 0,
  };
  const planned: Planned[] = [];
  const unique = new Map<string, RecoveredRecord>();
  for (const doc of docs) {
    const recovery = await resolve(deps, doc, recover(doc, deps.clock.now()));
    if (recovery.kind === 'unrecoverable') {
      summary.unrecoverable++;
      deps.log(`cannot recover ${doc.key}: ${recovery.reason} (left in place)`);
      continue;
    }
    if (recovery.kind === 'skip') {
      summary.skipped++;
      deps.log(`${opts.dryRun ? 'would skip' : 'skipped'} ${doc.key}: ${recovery.reason}`);
      if (!opts.dryRun) {
        await deps.store.markRedriven(doc.key, {
          redrivenAt: deps.clock.now(),
          records: 0,
          reason: recovery.reason,
        });
      }
      continue;
    }
    planned.push({ doc, records: recovery.records });
    for (const r of recovery.records) if (!unique.has(r.id)) unique.set(r.id, r);
  }

  if (opts.dryRun) {
    for (const p of planned) {
      deps.log(`would send ${p.records.length} record(s) from ${p.doc.key} (towers: ${towersOf(p.records)})`);
    }
    summary.wouldSend = unique.size;
    return summary;
  }

  const refused = await putAll(deps, [...unique.values()]);
  summary.sent = unique.size - refused.size;
  summary.failed = refused.size;
  for (const p of planned) {
    const missing = p.records.filter((r) => refused.has(r.id)).length;
    if (missing > 0) {
      deps.log(`stream refused ${missing} of ${p.records.length} record(s) from ${p.doc.key}; run again`);
      continue;
    }
    await deps.store.markRedriven(p.doc.key, { redrivenAt: deps.clock.now(), records: p.records.length });
    deps.log(`sent ${p.records.length} record(s) from ${p.doc.key} (towers: ${towersOf(p.records)})`);
  }
  return summary;
}
