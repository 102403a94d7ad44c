import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expiresAt, KEYS, SWEEP_DUE } from '../../data/keys.js';
import type { NotifierDeps } from './types.js';

export const CLAIM_RETENTION_DAYS = 30;

export type ClaimKey = Parameters<typeof KEYS.alertClaim>[2];

/** Which notification: the tower the broker authorised and the alert id it sent. */
export interface AlertRef {
  towerId: string;
  alertId: string;
}

/** Another invocation holds the claim on this notification; retry the record later. */
export class AlertBusyError extends Error {
  override readonly name = 'AlertBusyError';
}

const isConditionFailure = (e: unknown) => (e as Error).name === 'ConditionalCheckFailedException';

/**
 * Reserves one notification: a conditional put that succeeds for a new key, a failed or released
 * attempt, or an expired lease. Returns 'done' when it was already sent (or deliberately suppressed).
 */
export async function claim(deps: NotifierDeps, ref: AlertRef, key: ClaimKey): Promise<'claimed' | 'done'> {
  const now = deps.clock.now();
  try {
    await deps.doc.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: {
          ...KEYS.alertClaim(ref.towerId, ref.alertId, key),
          kind: 'alert-claim',
          towerId: ref.towerId,
          status: 'pending',
          leaseUntil: now + (deps.claimLeaseMs ?? 60_000),
          expiresAt: expiresAt(now, CLAIM_RETENTION_DAYS),
        },
        ConditionExpression:
          'attribute_not_exists(pk) OR #s IN (:failed, :released) OR (#s = :pending AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':released': 'released',
          ':pending': 'pending',
          ':now': now,
        },
      }),
    );
    return 'claimed';
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    if (await isSettled(deps, ref, key)) return 'done';
    throw new AlertBusyError(
      `notification ${ref.towerId} ${ref.alertId} ${key} is claimed by another invocation`,
    );
  }
}

/** True once the notification was sent or deliberately suppressed (a settled claim never reopens). */
export async function isSettled(deps: NotifierDeps, ref: AlertRef, key: ClaimKey): Promise<boolean> {
  const got = await deps.doc.send(
    new GetCommand({
      TableName: deps.tableName,
      Key: KEYS.alertClaim(ref.towerId, ref.alertId, key),
      ConsistentRead: true,
    }),
  );
  const status = got.Item?.status;
  return status === 'sent' || status === 'suppressed';
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `claim`, but while another invocation holds the claim (the other delivery path of the same alert,
 * usually finishing within milliseconds) it checks again for up to `waitMs` of real time before
 * giving up with AlertBusyError: a stream record retried at once would burn the mapping's retries.
 */
export async function claimWhenFree(
  deps: NotifierDeps,
  ref: AlertRef,
  key: ClaimKey,
  waitMs: number,
): Promise<'claimed' | 'done'> {
  const deadline = performance.now() + waitMs;
  for (let delayMs = 20; ; delayMs = Math.min(delayMs * 2, 500)) {
    try {
      return await claim(deps, ref, key);
    } catch (e) {
      if (!(e instanceof AlertBusyError) || performance.now() + delayMs > deadline) throw e;
      await pause(delayMs);
    }
  }
}

/**
 * `released`: the claimant handed the transition back without deciding it (the direct path leaves
 * an out-of-order alert to the stream); like `failed`, the next delivery may claim it.
 */
export async function settleClaim(
  deps: NotifierDeps,
  ref: AlertRef,
  key: ClaimKey,
  status: 'sent' | 'suppressed' | 'failed' | 'released',
): Promise<void> {
  await deps.doc.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: KEYS.alertClaim(ref.towerId, ref.alertId, key),
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
