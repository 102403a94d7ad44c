import type { KinesisStreamRecord } from 'aws-lambda';
import {
  decodeAlert,
  decodeStatus,
  decodeTelemetry,
  IOT,
  LifecycleEventSchema,
  type TwinState,
} from '../../../protocol/index.js';
import { isClockDrifted } from '../../data/telemetry-items.js';
import { PoisonRecordError } from '../shared/errors.js';
import { quarantineRecord } from '../shared/quarantine.js';
import { asPoison, assertSameTower, decodeRuleRecord, thingNameOfClientId } from '../shared/records.js';
import type { BatchOutcome, RuleRecord } from '../shared/types.js';
import { applyObservation, decidePublish, emptyTwin, fitShadowLimit, reportedDocument } from './merge.js';
import { readTwinShadow, writeTwinShadow } from './shadow.js';
import { CONSUMER, type Observation, type TwinDeps } from './types.js';

function observe(record: RuleRecord): Observation {
  const { payload, receivedAt } = record;
  switch (record.messageType) {
    case 'telemetry': {
      const batches = asPoison(() => decodeTelemetry(payload, true));
      assertSameTower(record, payload.towerId);
      const sentAt = payload.sentAt as number;
      const clockDrift = batches.some((b) => isClockDrifted(b, { receivedAt, sentAt }));
      return { kind: 'telemetry', receivedAt, batches, clockDrift };
    }
    case 'alert': {
      const alert = asPoison(() => decodeAlert(payload, true));
      assertSameTower(record, alert.towerId);
      return { kind: 'alert', receivedAt, alert };
    }
    case 'status': {
      const status = asPoison(() => decodeStatus(payload, true));
      assertSameTower(record, status.towerId);
      return { kind: 'status', receivedAt, status };
    }
    case 'lifecycle': {
      const parsed = LifecycleEventSchema.safeParse(payload);
      if (!parsed.success)
        throw new PoisonRecordError(`invalid lifecycle event: ${parsed.error.issues[0]?.message}`, 'payload');
      assertSameTower(record, thingNameOfClientId(parsed.data.clientId), 'clientId');
      return { kind: 'lifecycle', receivedAt, event: parsed.data };
    }
  }
}

const isConflict = (e: unknown) =>
  (e as Error).name === 'ConflictException' ||
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 409;

/** Brings one tower's twin up to date with this batch's observations: at most one shadow update. */
async function updateTower(towerId: string, observations: Observation[], deps: TwinDeps): Promise<void> {
  const now = deps.clock.now();
  let cached = deps.cache.get(towerId);
  for (let attempt = 0; ; attempt++) {
    if (!cached) {
      const read = await readTwinShadow(deps.iot, towerId);
      cached = {
        state: read.reported ?? emptyTwin(towerId, now),
        published: read.reported,
        version: read.version,
      };
    }
    const next = observations.reduce(applyObservation, cached.state);
    const decision = decidePublish(cached.published, next, now, deps.minIntervalMs);
    if (decision !== 'publish') {
      deps.cache.set(towerId, { ...cached, state: next });
      deps.metrics.count(decision === 'skip' ? 'TwinUpdatesSkipped' : 'TwinUpdatesDeferred');
      return;
    }
    const stamped: TwinState = { ...next, updatedAt: now };
    try {
      const fitted = fitShadowLimit(reportedDocument(cached.published, stamped), IOT.maxShadowDocumentBytes);
      if (fitted.dropped) deps.metrics.count('TwinValuesTrimmed', fitted.dropped);
      const version = await writeTwinShadow(deps.iot, towerId, fitted.reported, cached.version);
      deps.cache.set(towerId, { state: stamped, published: stamped, version });
      deps.metrics.count('TwinUpdates');
      return;
    } catch (e) {
      deps.cache.delete(towerId);
      if (!isConflict(e) || attempt >= (deps.maxConflictRetries ?? 5)) throw e;
      // Someone else wrote the shadow: re-read it and apply this batch on top of what is there now.
      deps.metrics.count('TwinConflicts');
      cached = undefined;
    }
  }
}

/**
 * Keeps each tower's `twin` shadow current from the batch: observations are grouped per tower and
 * coalesced into one update (or none); a failed tower fails only its records. Poison `status`
 * records are quarantined here (the other types are quarantined by their own consumer).
 */
export async function updateTwins(
  records: readonly KinesisStreamRecord[],
  deps: TwinDeps,
): Promise<BatchOutcome> {
  const failures = new Map<string, Error>();
  const byTower = new Map<string, { ids: string[]; observations: Observation[] }>();
  for (const kinesisRecord of records) {
    let record: RuleRecord | undefined;
    try {
      record = decodeRuleRecord(kinesisRecord);
      const obs = observe(record);
      const entry = byTower.get(record.towerId) ?? { ids: [], observations: [] };
      entry.ids.push(record.id);
      entry.observations.push(obs);
      byTower.set(record.towerId, entry);
    } catch (e) {
      if (!(e instanceof PoisonRecordError)) {
        failures.set(kinesisRecord.kinesis.sequenceNumber, e as Error);
        continue;
      }
      deps.metrics.count('RecordsSkipped');
      if (record?.messageType !== 'status') continue;
      try {
        await quarantineRecord(
          { doc: deps.doc, tableName: deps.tableName, consumer: CONSUMER, now: deps.clock.now() },
          kinesisRecord,
          e,
        );
        deps.metrics.count('RecordsQuarantined');
        deps.log.warn('record quarantined', { reason: e.message, field: e.field });
      } catch (qe) {
        failures.set(kinesisRecord.kinesis.sequenceNumber, qe as Error);
      }
    }
  }
  await Promise.all(
    [...byTower].map(async ([towerId, { ids, observations }]) => {
      try {
        await updateTower(towerId, observations, deps);
      } catch (e) {
        deps.log.error('twin update failed', { towerId, error: (e as Error).message });
        for (const id of ids) failures.set(id, e as Error);
      }
    }),
  );
  return { failures };
}
