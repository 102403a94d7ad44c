import type { KinesisStreamRecord } from 'aws-lambda';
import { decodeAlert, type LifecycleEvent, LifecycleEventSchema } from '../../../protocol/index.js';
import { KEYS } from '../../data/keys.js';
import { PoisonRecordError } from '../shared/errors.js';
import { quarantineRecord } from '../shared/quarantine.js';
import { asPoison, assertSameTower, decodeRuleRecord, thingNameOfClientId } from '../shared/records.js';
import type { BatchOutcome, RuleRecord } from '../shared/types.js';
import { towerOfflineAlert } from './message.js';
import { ConcurrentUpdateError } from './errors.js';
import { notifyOnce } from './notify.js';
import { getVersioned, putVersioned } from './store.js';
import { handleAlert } from './transition.js';
import { CONSUMER, type NotifierDeps, type PresenceState } from './types.js';

export const NO_PRESENCE: PresenceState = { connected: {}, disconnectedAt: null, offlineAlertId: null };

/**
 * Presence per tower: the set of open client sessions (Greengrass opens `<thing>#<n>` beside the
 * thing's own). The last session closing starts the grace period (the sweep raises tower-offline
 * when it passes); any session opening cancels it, and clears an offline alert already raised.
 */
async function handleLifecycle(deps: NotifierDeps, towerId: string, event: LifecycleEvent): Promise<void> {
  const key = KEYS.presence(towerId);
  const current = await getVersioned(deps, key, NO_PRESENCE);
  const next: PresenceState = structuredClone(current.state);
  let dueAt: number | undefined;
  if (event.eventType === 'connected') {
    next.connected[event.clientId] = Math.max(next.connected[event.clientId] ?? 0, event.timestamp);
    if (next.offlineAlertId && next.disconnectedAt !== null) {
      // The sweep may have recorded the raise and not published it yet: the raise goes first.
      if (next.offlineRaisePending) {
        await notifyOnce(
          deps,
          towerOfflineAlert(towerId, next.disconnectedAt, deps.offlineGraceMs, 'raise'),
          'STATE#raise',
        );
      }
      await notifyOnce(
        deps,
        towerOfflineAlert(towerId, next.disconnectedAt, deps.offlineGraceMs, 'clear'),
        'STATE#clear',
      );
    }
    next.disconnectedAt = null;
    next.offlineAlertId = null;
    next.offlineRaisePending = false;
  } else {
    const openedAt = next.connected[event.clientId];
    if (openedAt !== undefined && openedAt <= event.timestamp) delete next.connected[event.clientId];
    if (Object.keys(next.connected).length === 0) {
      next.disconnectedAt ??= event.timestamp;
      if (!next.offlineAlertId || next.offlineRaisePending) dueAt = next.disconnectedAt + deps.offlineGraceMs;
    }
  }
  if (!(await putVersioned(deps, key, 'presence', towerId, next, current.version, dueAt))) {
    throw new ConcurrentUpdateError(`presence of ${towerId} changed meanwhile`);
  }
}

async function handleRecord(deps: NotifierDeps, record: RuleRecord): Promise<void> {
  if (record.messageType === 'alert') {
    const alert = asPoison(() => decodeAlert(record.payload, true));
    assertSameTower(record, alert.towerId);
    await handleAlert(deps, alert, record.receivedAt, 'stream');
  } else if (record.messageType === 'lifecycle') {
    const parsed = LifecycleEventSchema.safeParse(record.payload);
    if (!parsed.success) {
      throw new PoisonRecordError(`invalid lifecycle event: ${parsed.error.issues[0]?.message}`, 'payload');
    }
    assertSameTower(record, thingNameOfClientId(parsed.data.clientId), 'clientId');
    await handleLifecycle(deps, record.towerId, parsed.data);
  }
}

/**
 * Alerts and lifecycle events in stream order. After the first record that fails, the rest of the
 * batch is failed too: notifying a clear before its raise is retried would reorder what people read.
 */
export async function notifyAlerts(
  records: readonly KinesisStreamRecord[],
  deps: NotifierDeps,
): Promise<BatchOutcome> {
  const failures = new Map<string, Error>();
  let blocked: Error | undefined;
  for (const kinesisRecord of records) {
    const id = kinesisRecord.kinesis.sequenceNumber;
    if (blocked) {
      failures.set(id, blocked);
      continue;
    }
    try {
      await handleRecord(deps, decodeRuleRecord(kinesisRecord));
    } catch (e) {
      const poison = e instanceof PoisonRecordError;
      const mine = poison && isNotifierRecord(kinesisRecord);
      try {
        if (mine) {
          await quarantineRecord(
            { doc: deps.doc, tableName: deps.tableName, consumer: CONSUMER, now: deps.clock.now() },
            kinesisRecord,
            e,
          );
          deps.metrics.count('RecordsQuarantined');
          deps.log.warn('record quarantined', { reason: e.message, field: e.field });
        } else if (!poison) {
          throw e;
        }
      } catch (err) {
        blocked = err as Error;
        failures.set(id, blocked);
        deps.log.error('alert record failed', { error: blocked.message, sequenceNumber: id });
      }
    }
  }
  return { failures };
}

/** Poison of the types this consumer owns (alert, lifecycle, or unreadable) is quarantined here. */
function isNotifierRecord(record: KinesisStreamRecord): boolean {
  try {
    const { messageType } = decodeRuleRecord(record);
    return messageType === 'alert' || messageType === 'lifecycle';
  } catch {
    return false;
  }
}
