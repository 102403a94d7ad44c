import { SCHEMA_VERSION, type Status } from '../../../protocol/index.js';
import type { BufferStats } from '../buffer/index.js';
import type { ConnectionStats } from '../transport/index.js';
import type { ConfirmationStats } from './confirmations.js';

/** The `status` message from the buffer and connection figures. Pure. */
export function buildStatus(input: {
  towerId: string;
  now: number;
  startedAt: number;
  buffer: BufferStats;
  connection: ConnectionStats;
  unconfirmed?: ConfirmationStats;
}): Status {
  const { buffer, connection, now, unconfirmed } = input;
  const oldest = [buffer.alerts.oldestAppendedAt, buffer.telemetry.oldestAppendedAt].filter(
    (t): t is number => t !== null,
  );
  return {
    schema: SCHEMA_VERSION,
    towerId: input.towerId,
    time: now,
    uptimeS: Math.max(0, (now - input.startedAt) / 1000),
    buffer: {
      depthBytes: buffer.alerts.depthBytes + buffer.telemetry.depthBytes,
      depthMessages: buffer.alerts.depthMessages + buffer.telemetry.depthMessages,
      oldestAgeMs: oldest.length ? Math.max(0, now - Math.min(...oldest)) : null,
    },
    drops: { readings: buffer.droppedReadings, corruptRecords: buffer.corruptRecords },
    storage: { ...buffer.storage, error: buffer.storage.error?.slice(0, 1024) ?? null },
    connectivity: {
      connected: connection.connected,
      reconnects: connection.reconnects,
      lastConnectedAt: connection.lastConnectedAt,
    },
    ...(unconfirmed && {
      unconfirmed: {
        depthMessages: unconfirmed.depthMessages,
        oldestAgeMs:
          unconfirmed.oldestDeliveredAt === null ? null : Math.max(0, now - unconfirmed.oldestDeliveredAt),
        resentAfterTimeout: unconfirmed.resentAfterTimeout,
        nudges: unconfirmed.nudges,
      },
    }),
  };
}
