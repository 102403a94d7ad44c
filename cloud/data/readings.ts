import { type DynamoDBDocumentClient, GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { DAY_MS, dayStart, KEYS, padTime, utcDay } from './keys.js';
import { itemReadings } from './telemetry-items.js';
import type { LatestItem, StoredReading, TelemetryItem } from './types.js';

export interface ReadingsQuery {
  towerId: string;
  /** Inclusive epoch-ms bounds. */
  from: number;
  to: number;
  sensorId?: string;
}

export class QueryRangeError extends Error {
  override readonly name = 'QueryRangeError';
}

/** Longest range one query may span: one DynamoDB Query per day. */
export const MAX_QUERY_DAYS = 366;

/**
 * Reads a tower's readings in [from, to] back out: one Query per UTC day partition, sort key up to
 * `to`, filtered on the item's end time. Readings are found by their device time, a drifted clock's
 * too (flagged `clockDrift`, with its receive time). Ordered by time, then (seq, index).
 */
export async function queryReadings(
  doc: DynamoDBDocumentClient,
  tableName: string,
  query: ReadingsQuery,
): Promise<StoredReading[]> {
  const { towerId, from, to } = query;
  if (!(to >= from)) throw new QueryRangeError(`--to (${to}) must not be before --from (${from})`);
  const days = Math.floor((dayStart(to) - dayStart(from)) / DAY_MS) + 1;
  if (days > MAX_QUERY_DAYS)
    throw new QueryRangeError(`range spans ${days} days; query at most ${MAX_QUERY_DAYS}`);
  const out: StoredReading[] = [];
  for (let d = 0; d < days; d++) {
    const day = utcDay(dayStart(from) + d * DAY_MS);
    const pages = paginateQuery(
      { client: doc },
      {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk <= :hi',
        FilterExpression: 'tTo >= :from',
        ExpressionAttributeValues: {
          ':pk': KEYS.telemetryPartition(towerId, day),
          ':hi': `${padTime(to)}~`,
          ':from': from,
        },
      },
    );
    for await (const page of pages) {
      for (const item of (page.Items ?? []) as TelemetryItem[]) {
        for (const r of itemReadings(item)) {
          if (r.time < from || r.time > to) continue;
          if (query.sensorId !== undefined && r.sensorId !== query.sensorId) continue;
          out.push(r);
        }
      }
    }
  }
  return out.sort((a, b) => a.time - b.time || a.seq - b.seq || a.index - b.index);
}

/** The tower's latest value per sensor, or null before its first batch. */
export async function getLatest(
  doc: DynamoDBDocumentClient,
  tableName: string,
  towerId: string,
): Promise<LatestItem | null> {
  const out = await doc.send(
    new GetCommand({ TableName: tableName, Key: KEYS.latest(towerId), ConsistentRead: true }),
  );
  return (out.Item as LatestItem | undefined) ?? null;
}
