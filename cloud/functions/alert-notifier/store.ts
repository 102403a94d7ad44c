import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expiresAt, KEYS, SWEEP_DUE } from '../../data/keys.js';
import type { NotifierDeps } from './types.js';

export const CLAIM_RETENTION_DAYS = 30;

export type ClaimKey = Parameters<typeof KEYS.alertClaim>[1];

/** Another invocation holds the claim on this notification; retry the record later. */
export class AlertBusyError extends Error {
  override readonly name = 'AlertBusyError';
}

const isConditionFailure = (e: unknown) => (e as Error).name === 'ConditionalCheckFailedException';

/**
 * Reserves one notification: a conditional put that succeeds for a new key, a failed attempt, or an
 * expired lease. Returns 'done' when it was already sent (or deliberately suppressed).
 */
export async function claim(
  deps: NotifierDeps,
  alertId: string,
  key: ClaimKey,
  towerId: string,
): Promise<'claimed' | 'done'> {
  const now = deps.clock.now();
  try {
    await deps.doc.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: {
          ...KEYS.alertClaim(alertId, key),
          kind: 'alert-claim',
          towerId,
          status: 'pending',
          leaseUntil: now + (deps.claimLeaseMs ?? 60_000),
          expiresAt: expiresAt(now, CLAIM_RETENTION_DAYS),
        },
        ConditionExpression:
          'attribute_not_exists(pk) OR #s = :failed OR (#s = :pending AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':failed': 'failed', ':pending': 'pending', ':now': now },
      }),
    );
    return 'claimed';
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    const got = await deps.doc.send(
      new GetCommand({ TableName: deps.tableName, Key: KEYS.alertClaim(alertId, key), ConsistentRead: true }),
    );
    const status = got.Item?.status;
    if (status === 'sent' || status === 'suppressed') return 'done';
    throw new AlertBusyError(`notification ${alertId} ${key} is claimed by another invocation`);
  }
}

export async function settleClaim(
  deps: NotifierDeps,
  alertId: string,
  key: ClaimKey,
  status: 'sent' | 'suppressed' | 'failed',
): Promise<void> {
  await deps.doc.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: KEYS.alertClaim(alertId, key),
      UpdateExpression: 'SET #s = :s, settledAt = :now',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': status, ':now': deps.clock.now() },
    }),
  );
}

export interface Versioned<T> {
  state: T;
  version: number;
}

export async function getVersioned<T>(
  deps: NotifierDeps,
  key: { pk: string; sk: string },
  empty: T,
): Promise<Versioned<T>> {
  const got = await deps.doc.send(
    new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }),
  );
  if (!got.Item) return { state: empty, version: 0 };
  return { state: got.Item.state as T, version: got.Item.version as number };
}

/**
 * Writes a state item if nobody wrote it since `version` was read. `dueAt` puts it in the sparse
 * `sweep` index (something to do at that time); without it the item leaves the index.
 * Returns false when the version moved.
 */
export async function putVersioned<T>(
  deps: NotifierDeps,
  key: { pk: string; sk: string },
  kind: string,
  towerId: string,
  next: T,
  version: number,
  dueAt?: number,
): Promise<boolean> {
  try {
    await deps.doc.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: {
          ...key,
          kind,
          towerId,
          state: next,
          version: version + 1,
          ...(dueAt !== undefined && { sweepKey: SWEEP_DUE, dueAt }),
        },
        ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
        ...(version !== 0 && { ExpressionAttributeValues: { ':v': version } }),
      }),
    );
    return true;
  } catch (e) {
    if (isConditionFailure(e)) return false;
    throw e;
  }
}
