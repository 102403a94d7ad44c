import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DYNAMODB } from '../../../protocol/index.js';

export interface KeyedItem {
  pk: string;
  sk: string;
}

export interface BatchWriteOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface BatchWriteResult {
  /** Keys (`pk|sk`) still unwritten after every attempt. */
  failedKeys: Set<string>;
  /** Write capacity units DynamoDB reported. */
  consumedWcu: number;
  lastError?: Error;
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
]);

export const itemKey = (item: { pk: unknown; sk: unknown }) => `${String(item.pk)}|${String(item.sk)}`;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * BatchWriteItem in chunks of 25 with no duplicate keys in a chunk (DynamoDB rejects the whole
 * request otherwise; the last item for a key wins, and redelivered items are identical anyway).
 * `UnprocessedItems` and throttling errors are retried with exponential backoff and full jitter;
 * what is still unwritten after `maxAttempts` is returned so the caller fails only those records.
 */
export async function batchWriteAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: readonly KeyedItem[],
  options: BatchWriteOptions = {},
): Promise<BatchWriteResult> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 25;
  const cap = options.maxDelayMs ?? 2000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const unique = new Map<string, KeyedItem>();
  for (const item of items) unique.set(itemKey(item), item);
  const all = [...unique.values()];
  const result: BatchWriteResult = { failedKeys: new Set(), consumedWcu: 0 };

  const chunks: KeyedItem[][] = [];
  for (let i = 0; i < all.length; i += DYNAMODB.maxItemsPerBatchWrite) {
    chunks.push(all.slice(i, i + DYNAMODB.maxItemsPerBatchWrite));
  }
  await Promise.all(
    chunks.map(async (chunk) => {
      let pending = chunk;
      for (let attempt = 1; pending.length > 0; attempt++) {
        try {
          const out = await doc.send(
            new BatchWriteCommand({
              RequestItems: {
                [tableName]: pending.map((Item) => ({
                  PutRequest: { Item: Item as unknown as Record<string, unknown> },
                })),
              },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          );
          for (const c of out.ConsumedCapacity ?? []) result.consumedWcu += c.CapacityUnits ?? 0;
          pending = (out.UnprocessedItems?.[tableName] ?? []).map((r) => r.PutRequest?.Item as KeyedItem);
        } catch (e) {
          const err = e as Error;
          if (!THROTTLING.has(err.name)) {
            result.lastError = err;
            break;
          }
          result.lastError = err;
        }
        if (pending.length === 0 || attempt >= maxAttempts) break;
        await sleep(random() * Math.min(cap, base * 2 ** attempt));
      }
      for (const item of pending) result.failedKeys.add(itemKey(item));
    }),
  );
  return result;
}
