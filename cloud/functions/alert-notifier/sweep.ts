import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../data/tables.js';
import { SWEEP_DUE } from '../../data/keys.js';
import { NO_PRESENCE } from './core.js';
import { towerOfflineAlert } from './message.js';
import { notifyOnce } from './notify.js';
import { putVersioned } from './store.js';
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

/**
 * The scheduled sweep (every minute in AWS): raises tower-offline for towers whose last session
 * closed more than the grace period ago without a reconnect, and sends the held "cleared" of
 * alert episodes that stayed quiet for the suppression window. Reads only the sparse `sweep`
 * index. Each item is settled with a versioned write, so a sweep racing a record changes nothing twice.
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
        const state = { ...NO_PRESENCE, ...(item.state as PresenceState) };
        if (Object.keys(state.connected).length > 0 || state.disconnectedAt === null || state.offlineAlertId)
          continue;
        const alert = towerOfflineAlert(item.towerId, state.disconnectedAt, deps.offlineGraceMs, 'raise');
        await notifyOnce(deps, alert, 'STATE#raise');
        if (
          await putVersioned(
            deps,
            key,
            'presence',
            item.towerId,
            { ...state, offlineAlertId: alert.alertId },
            item.version,
          )
        ) {
          result.offlineRaised++;
          deps.metrics.count('AlertCount', 1, { severity: alert.severity });
        }
      } else {
        const state = item.state as SuppressionState;
        if (!state.pendingClear || state.pendingClear.dueAt > now) continue;
        await notifyOnce(deps, state.pendingClear.alert, 'SWEPT#clear');
        const next: SuppressionState = { ...NO_EPISODE, ...(state.decided && { decided: state.decided }) };
        if (await putVersioned(deps, key, 'suppression', item.towerId, next, item.version))
          result.clearsSent++;
      }
    }
  }
  return result;
}
