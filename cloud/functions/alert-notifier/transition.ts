import type { Alert } from '../../../protocol/index.js';
import { KEYS } from '../../data/keys.js';
import { ConcurrentUpdateError } from './errors.js';
import { notifyOnce, publish } from './notify.js';
import {
  AlertBusyError,
  claim,
  claimWhenFree,
  getVersioned,
  isSettled,
  putVersioned,
  settleClaim,
  type Versioned,
} from './store.js';
import { NO_EPISODE, decide } from './suppression.js';
import type { DeliveryPath, NotifierDeps, RecordedDecision, SuppressionState } from './types.js';

/** What one delivery of an alert transition did. */
export type AlertOutcome = 'notified' | 'suppressed' | 'duplicate' | 'left-to-stream' | 'busy';

const suppressionKey = (alert: Alert) => KEYS.suppression(alert.towerId, alert.sensorId, alert.rule);

/** Decisions kept per (tower, sensor, rule): far more than the transitions a retry can lag behind. */
const DECISIONS_KEPT = 8;
/** Versioned-write attempts before a hot suppression item is left to a retry. */
const STATE_ATTEMPTS = 5;

/**
 * Whether the direct path may decide this transition now. The stream carries a tower's alerts in
 * order; the direct invokes do not (a failed invoke is retried a minute later, two invokes race).
 * So the direct path takes only a transition that is next in order, and leaves the rest to the
 * stream, which reaches them shortly after in the tower's own order:
 * - a raise, when no episode of its (tower, sensor, rule) is open (an open one means an escalation,
 *   or a clear not decided yet);
 * - a clear, once its raise was notified or suppressed. A clear that reaches the notifier before its
 *   raise is therefore never sent first: its direct copy is handed back, and the stream delivers the
 *   raise then the clear. (The stream keeps its own rule for a clear whose raise never came: it is sent.)
 */
function nextInOrder(state: SuppressionState, alert: Alert, raiseSettled: boolean): boolean {
  return alert.state === 'raise' ? !state.active : raiseSettled;
}

/**
 * Reads started beside the claim, so the direct path's first decision waits for one round trip,
 * not three. Reading before the claim is won is safe: the state is written back only if its version
 * is unchanged, and a raise once settled stays settled.
 */
interface EarlyReads {
  state: Promise<Versioned<SuppressionState>>;
  raiseSettled: Promise<boolean>;
}

/**
 * Decides the transition against the current suppression state and writes the state with the
 * decision in one versioned put, re-reading on a concurrent change (the other path, the sweep).
 * Returns the decision recorded earlier if an attempt already took one, or null when the direct
 * path leaves the transition to the stream.
 */
async function decideOnce(
  deps: NotifierDeps,
  alert: Alert,
  receivedAt: number,
  path: DeliveryPath,
  early: EarlyReads,
): Promise<RecordedDecision | null> {
  const suppKey = suppressionKey(alert);
  const key = `${alert.alertId}#${alert.state}`;
  for (let attempt = 0; attempt < STATE_ATTEMPTS; attempt++) {
    const current = attempt === 0 ? await early.state : await getVersioned(deps, suppKey, NO_EPISODE);
    const earlier = current.state.decided?.find((d) => d.key === key);
    if (earlier) return earlier;
    // The sweep's "cleared" goes out before whatever this transition decides after it.
    if (current.state.sweptClear) await notifyOnce(deps, current.state.sweptClear, 'SWEPT#clear');
    if (path === 'direct' && !nextInOrder(current.state, alert, await early.raiseSettled)) return null;
    const decision = decide(current.state, alert, receivedAt, deps.suppressionWindowMs);
    const recorded: RecordedDecision =
      decision.action === 'notify'
        ? { key, action: decision.action, alert: decision.alert }
        : { key, action: decision.action };
    const next: SuppressionState = {
      ...decision.next,
      sweptClear: null,
      decided: [...(current.state.decided ?? []), recorded].slice(-DECISIONS_KEPT),
    };
    const written = await putVersioned(
      deps,
      suppKey,
      'suppression',
      alert.towerId,
      next,
      current.version,
      next.pendingClear?.dueAt,
    );
    if (written) return recorded;
  }
  throw new ConcurrentUpdateError(`suppression state of ${suppKey.pk} kept changing`);
}

/**
 * One alert transition, exactly once whichever path delivers it first: the claim on
 * (alertId, state) admits one delivery at a time and turns later ones into duplicates once settled.
 * The stream path waits briefly for a direct delivery holding the claim; the direct path gives way
 * at once (the stream copy still comes).
 */
export async function handleAlert(
  deps: NotifierDeps,
  alert: Alert,
  receivedAt: number,
  path: DeliveryPath,
): Promise<AlertOutcome> {
  const key = `STATE#${alert.state}` as const;
  const early: EarlyReads = {
    state: getVersioned(deps, suppressionKey(alert), NO_EPISODE),
    raiseSettled:
      path === 'direct' && alert.state === 'clear'
        ? isSettled(deps, alert, 'STATE#raise')
        : Promise.resolve(true),
  };
  // Not awaited when the claim is lost; a failed read fails the decision that awaits it.
  early.state.catch(() => {});
  early.raiseSettled.catch(() => {});
  let claimed: 'claimed' | 'done';
  try {
    claimed =
      path === 'stream'
        ? await claimWhenFree(deps, alert, key, deps.claimWaitMs ?? 5_000)
        : await claim(deps, alert, key);
  } catch (e) {
    if (path === 'direct' && e instanceof AlertBusyError) return 'busy';
    throw e;
  }
  if (claimed === 'done') {
    deps.metrics.count('AlertDuplicates');
    return 'duplicate';
  }
  try {
    const decision = await decideOnce(deps, alert, receivedAt, path, early);
    if (!decision) {
      await settleClaim(deps, alert, key, 'released');
      deps.metrics.count('AlertsLeftToStream');
      return 'left-to-stream';
    }
    if (decision.action === 'notify') await publish(deps, decision.alert ?? alert);
    await settleClaim(deps, alert, key, decision.action === 'notify' ? 'sent' : 'suppressed');
    if (decision.action !== 'notify') deps.metrics.count('AlertsSuppressed');
    if (alert.state === 'raise') deps.metrics.count('AlertCount', 1, { severity: alert.severity });
    return decision.action === 'notify' ? 'notified' : 'suppressed';
  } catch (e) {
    await settleClaim(deps, alert, key, 'failed');
    throw e;
  }
}
