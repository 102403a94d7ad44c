import type { Alert } from '../../../protocol/index.js';
import type { Decision, SuppressionState } from './types.js';

const RANK = { info: 0, warning: 1, critical: 2 } as const;

export const NO_EPISODE: SuppressionState = {
  raisedAlertId: null,
  severity: null,
  notifiedAt: 0,
  active: false,
  pendingClear: null,
};

/**
 * Flapping control per (tower, sensor, rule): the first raise is notified; raises within the window
 * of the notified one (or while its clear is still waiting) are suppressed unless more severe; a
 * clear is held until the window passes without a new raise, then one "cleared" goes out (the
 * sweep sends it). With a zero window every transition is notified at once.
 */
export function decide(
  state: SuppressionState,
  alert: Alert,
  receivedAt: number,
  windowMs: number,
): Decision {
  if (alert.state === 'raise') {
    const inEpisode = state.raisedAlertId !== null && (state.active || state.pendingClear !== null);
    const recent = receivedAt - state.notifiedAt < windowMs || state.pendingClear !== null;
    const escalates = state.severity === null || RANK[alert.severity] > RANK[state.severity];
    if (inEpisode && recent && !escalates && windowMs > 0) {
      return { action: 'suppress', next: { ...state, active: true, pendingClear: null } };
    }
    return {
      action: 'notify',
      alert,
      next: {
        raisedAlertId: alert.alertId,
        severity: alert.severity,
        notifiedAt: receivedAt,
        active: true,
        pendingClear: null,
      },
    };
  }
  if (state.raisedAlertId === null) {
    // A clear whose raise this consumer never saw: say so rather than stay silent.
    return { action: 'notify', alert, next: NO_EPISODE };
  }
  if (!state.active) return { action: 'suppress', next: state };
  const clear: Alert = { ...alert, alertId: state.raisedAlertId, severity: state.severity ?? alert.severity };
  if (windowMs <= 0) return { action: 'notify', alert: clear, next: NO_EPISODE };
  return {
    action: 'defer',
    next: { ...state, active: false, pendingClear: { alert: clear, dueAt: receivedAt + windowMs } },
  };
}
