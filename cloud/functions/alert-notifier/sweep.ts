import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../data/tables.js';
import { SWEEP_DUE } from '../../data/keys.js';
import { NO_PRESENCE } from './core.js';
import { towerOfflineAlert } from './message.js';
import { notifyOnce } from './notify.js';
import { getVersioned, putVersioned } from './store.js';
import { NO_EPISODE } from './suppression.js';
import type { NotifierDeps, PresenceState, SuppressionState } from './types.js';

export interface SweepResult {
  offlineRaised: number;
  clearsSent: number;
}

interface DueItem {
  pk: string;
  sk: string;
  kind: 'presence' | 'suppression';
  towerId: string;
  state: PresenceState | SuppressionState;
  version: number;
}

const SWEEP_INDEX = TABLE.globalSecondaryIndexes[0].indexName;

type Key = { pk: string; sk: string };

/**
 * Raises tower-offline for one due presence item. The index is eventually consistent, so the item
 * is read again (consistently) and the raise is recorded with a versioned write before it is
 * published: a reconnect that lands first wins the write and no raise goes out; one that lands
 * after finds the raise recorded and sends its clear (after the raise, if that is still pending).
 * A crash between the write and the publish leaves `offlineRaisePending` and the item due, so the
 * next sweep publishes it (the claim makes a second publish a duplicate).
 */
async function sweepPresence(deps: NotifierDeps, key: Key, towerId: string): Promise<boolean> {
  const current = await getVersioned(deps, key, NO_PRESENCE);
  const state: PresenceState = { ...NO_PRESENCE, ...current.state };
  if (Object.keys(state.connected).length > 0 || state.disconnectedAt === null) return false;
  if (state.offlineAlertId && !state.offlineRaisePending) return false;
  const alert = towerOfflineAlert(towerId, state.disconnectedAt, deps.offlineGraceMs, 'raise');
  const fresh = !state.offlineAlertId;
  const recorded = { ...state, offlineAlertId: alert.alertId, offlineRaisePending: true };
  if (
    fresh &&
    !(await putVersioned(deps, key, 'presence', towerId, recorded, current.version, deps.clock.now()))
  )
    return false;
  const version = fresh ? current.version + 1 : current.version;
  await notifyOnce(deps, alert, 'STATE#raise');
  await putVersioned(deps, key, 'presence', towerId, { ...recorded, offlineRaisePending: false }, version);
  if (fresh) deps.metrics.count('AlertCount', 1, { severity: alert.severity });
  return fresh;
}

/**
 * Sends the held "cleared" of one quiet episode: ends the episode with a versioned write first
 * (keeping the clear as `sweptClear` until it is published), then publishes. A re-raise that lands
 * before the write wins it (the clear is not sent; the episode goes on); one that lands after
 * starts a new episode and is notified.
 */
async function sweepSuppression(
  deps: NotifierDeps,
  key: Key,
  towerId: string,
  now: number,
): Promise<boolean> {
  const current = await getVersioned(deps, key, NO_EPISODE);
  const state = current.state;
  let clear = state.sweptClear ?? null;
  let version = current.version;
  let next: SuppressionState = { ...NO_EPISODE, ...(state.decided && { decided: state.decided }) };
  if (!clear) {
    if (!state.pendingClear || state.pendingClear.dueAt > now) return false;
    clear = state.pendingClear.alert;
    next = { ...next, sweptClear: clear };
    if (!(await putVersioned(deps, key, 'suppression', towerId, next, version, now))) return false;
    version++;
  }
  await notifyOnce(deps, clear, 'SWEPT#clear');
  await putVersioned(deps, key, 'suppression', towerId, { ...next, sweptClear: null }, version);
  return true;
}

/**
 * The scheduled sweep (every minute in AWS): raises tower-offline for towers whose last session
 * closed more than the grace period ago without a reconnect, and sends the held "cleared" of
 * alert episodes that stayed quiet for the suppression window. Reads only the sparse `sweep`
 * index, then each item consistently; every notification is recorded with a versioned write before
 * it is published, so a sweep racing a record neither loses a clear nor sends a stale raise.
 */
export async function sweep(deps: NotifierDeps): Promise<SweepResult> {
  const now = deps.clock.now();
  const result: SweepResult = { offlineRaised: 0, clearsSent: 0 };
  const pages = paginateQuery(
    { client: deps.doc },
    {
      TableName: deps.tableName,
      IndexName: SWEEP_INDEX,
      KeyConditionExpression: 'sweepKey = :due AND dueAt <= :now',
      ExpressionAttributeValues: { ':due': SWEEP_DUE, ':now': now },
    },
  );
  for await (const page of pages) {
    for (const item of (page.Items ?? []) as DueItem[]) {
      const key = { pk: item.pk, sk: item.sk };
      if (item.kind === 'presence') {
        if (await sweepPresence(deps, key, item.towerId)) {
          result.offlineRaised++;
        }
      } else if (await sweepSuppression(deps, key, item.towerId, now)) {
        result.clearsSent++;
      }
    }
  }
  return result;
}
