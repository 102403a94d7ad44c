import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { addSeqs, STORED_ACK, type SeqRange, type StoredAck } from '../../../protocol/index.js';
import { KEYS } from '../../data/keys.js';
import { mergeLatest } from '../../data/telemetry-items.js';
import type { LatestItem, LatestValue } from '../../data/types.js';

const MAX_CONFLICT_RETRIES = 5;

export interface LatestUpdate {
  /** Write units consumed (0 when nothing changed). */
  wcu: number;
  /** The stored acknowledgement to send now, or null (nothing stored, or one went out within the interval). */
  ack: StoredAck | null;
}

const sameRanges = (a: readonly SeqRange[], b: readonly SeqRange[]) =>
  a.length === b.length && a.every((r, i) => r[0] === b[i]![0] && r[1] === b[i]![1]);

/**
 * Folds a batch's latest values and stored seqs into the tower's latest-state item: read, merge per
 * sensor keeping the newer time (so an older batch never overwrites newer values), add the stored
 * seqs to the tower's recent ranges, decide whether an acknowledgement is due (at most one per
 * `STORED_ACK.minIntervalMs`), then a put conditioned on the version read. A concurrent writer makes
 * the condition fail and the merge is redone. The acknowledgement rides on the read and the put the
 * latest values already need: no extra round trip.
 */
export async function updateLatest(
  doc: DynamoDBDocumentClient,
  tableName: string,
  towerId: string,
  incoming: Record<string, LatestValue>,
  now: number,
  storedSeqs: readonly number[] = [],
): Promise<LatestUpdate> {
  for (let attempt = 0; ; attempt++) {
    const got = await doc.send(
      new GetCommand({ TableName: tableName, Key: KEYS.latest(towerId), ConsistentRead: true }),
    );
    const current = got.Item as LatestItem | undefined;
    const merged = mergeLatest(current?.sensors ?? {}, incoming);
    const before = current?.stored ?? [];
    const stored = storedSeqs.length ? addSeqs(before, storedSeqs) : before;
    const ackDue =
      storedSeqs.length > 0 &&
      (current?.ackSentAt === undefined || now - current.ackSentAt >= STORED_ACK.minIntervalMs);
    if (!merged && !ackDue && sameRanges(stored, before)) return { wcu: 0, ack: null };
    const ackSentAt = ackDue ? now : current?.ackSentAt;
    const item: LatestItem = {
      ...KEYS.latest(towerId),
      sk: 'LATEST',
      kind: 'latest',
      towerId,
      sensors: merged ?? current?.sensors ?? {},
      version: (current?.version ?? 0) + 1,
      updatedAt: now,
      stored,
      ...(ackSentAt !== undefined && { ackSentAt }),
    };
    try {
      const out = await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: current ? 'version = :v' : 'attribute_not_exists(pk)',
          ...(current && { ExpressionAttributeValues: { ':v': current.version } }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return {
        wcu: out.ConsumedCapacity?.CapacityUnits ?? 0,
        ack: ackDue ? { schema: 1, towerId, ranges: stored, sentAt: now } : null,
      };
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException' || attempt >= MAX_CONFLICT_RETRIES) throw e;
    }
  }
}
