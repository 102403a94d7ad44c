import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { KEYS } from '../../data/keys.js';
import { mergeLatest } from '../../data/telemetry-items.js';
import type { LatestItem, LatestValue } from '../../data/types.js';

const MAX_CONFLICT_RETRIES = 5;

/**
 * Folds a batch's latest values into the tower's latest-state item: read, merge per sensor keeping
 * the newer time (so an older batch never overwrites newer values), then a put conditioned on the
 * version read. A concurrent writer makes the condition fail and the merge is redone.
 * Returns the write units consumed (0 when nothing was newer).
 */
export async function updateLatest(
  doc: DynamoDBDocumentClient,
  tableName: string,
  towerId: string,
  incoming: Record<string, LatestValue>,
  now: number,
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const got = await doc.send(
      new GetCommand({ TableName: tableName, Key: KEYS.latest(towerId), ConsistentRead: true }),
    );
    const current = got.Item as LatestItem | undefined;
    const merged = mergeLatest(current?.sensors ?? {}, incoming);
    if (!merged) return 0;
    const item: LatestItem = {
      ...KEYS.latest(towerId),
      sk: 'LATEST',
      kind: 'latest',
      towerId,
      sensors: merged,
      version: (current?.version ?? 0) + 1,
      updatedAt: now,
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
      return out.ConsumedCapacity?.CapacityUnits ?? 0;
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException' || attempt >= MAX_CONFLICT_RETRIES) throw e;
    }
  }
}
