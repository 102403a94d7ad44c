import type { Alert } from '../../../protocol/index.js';
import type { Logger } from '../config/index.js';
import type { Detector, SensorPresence } from '../detect/index.js';
import type { Clock, Sink } from '../ports.js';
import { ALERT_STATE_FORMAT, type AlertStateFile, AlertStateStore } from './alert-state.js';

/**
 * Alerts kept for re-sending after a restart while the sink has not accepted them; beyond this (a sink
 * hung for a long time) the oldest are still sent now but no longer re-sent after a restart.
 */
export const UNACKED_LIMIT = 256;

export interface AlertJournalOptions {
  stateDir: string;
  detector: Detector;
  sink: Sink;
  logger: Logger;
  clock: Clock;
}

export interface AlertJournalStats {
  alertsRaised: number;
  alertsCleared: number;
  alertsResent: number;
  sinkErrors: number;
}

/**
 * Hands the detector's alerts to the sink with its state on disk first, so that "raise once, clear
 * once" survives a restart: open incidents resume under their alertIds, and alerts the sink had not
 * accepted are handed over again.
 */
export class AlertJournal {
  private readonly store: AlertStateStore;
  private readonly detector: Detector;
  private readonly sink: Sink;
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** Handed to the sink and not yet accepted, by alertId and state, oldest first. */
  private readonly unacked = new Map<string, Alert>();
  private readonly pending = new Set<Promise<void>>();
  private readonly counters: AlertJournalStats = {
    alertsRaised: 0,
    alertsCleared: 0,
    alertsResent: 0,
    sinkErrors: 0,
  };

  constructor(options: AlertJournalOptions) {
    this.store = new AlertStateStore(options.stateDir);
    this.detector = options.detector;
    this.sink = options.sink;
    this.logger = options.logger;
    this.clock = options.clock;
  }

  get file(): string {
    return this.store.file;
  }

  /** New transitions: written before the sink sees them, so a crash once it has them loses no incident. */
  emit(alerts: Alert[], time: number): void {
    if (alerts.length === 0) return;
    for (const alert of alerts) {
      if (alert.state === 'raise') this.counters.alertsRaised++;
      else this.counters.alertsCleared++;
      this.remember(alert);
    }
    this.persist(time);
    for (const alert of alerts) this.send(alert);
  }

  /**
   * Takes up what the previous run left, before any sample: alerts the sink never accepted are handed
   * over again, open incidents resume in the detector (or are cleared now when their sensor or rule
   * is gone). An unusable file costs one warning and a start with no open incidents.
   */
  resume(time: number, presence: (sensorId: string) => SensorPresence): void {
    let saved: AlertStateFile | undefined;
    try {
      saved = this.store.load();
    } catch (e) {
      this.logger.warn('open alerts file unusable; starting with no open incidents', {
        error: (e as Error).message,
      });
      this.persist(time);
      return;
    }
    if (!saved) return;
    const open = new Set(saved.open.map((i) => i.alertId));
    const clearing = new Set(saved.unacked.filter((a) => a.state === 'clear').map((a) => a.alertId));
    // A raise whose incident closed and whose clear the sink accepted would, sent again, reopen it for good.
    const resend = saved.unacked.filter(
      (a) => a.state === 'clear' || open.has(a.alertId) || clearing.has(a.alertId),
    );
    for (const alert of resend) this.remember(alert);
    const closed = this.detector.restore(saved, time, presence);
    for (const alert of closed) {
      this.counters.alertsCleared++;
      this.remember(alert);
    }
    this.persist(time);
    this.counters.alertsResent += resend.length;
    for (const alert of [...resend, ...closed]) this.send(alert);
  }

  /** Waits for the sink to settle what it was given, then writes, so a clean restart re-sends nothing. */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
    this.persist(this.clock.now());
  }

  stats(): AlertJournalStats {
    return { ...this.counters };
  }

  private remember(alert: Alert): void {
    this.unacked.set(unackedKey(alert), alert);
    if (this.unacked.size > UNACKED_LIMIT) this.unacked.delete(this.unacked.keys().next().value!);
  }

  private persist(time: number): void {
    try {
      this.store.save({
        format: ALERT_STATE_FORMAT,
        savedAt: time,
        ...this.detector.snapshot(time),
        unacked: [...this.unacked.values()],
      });
    } catch (e) {
      this.logger.warn('could not save the open alerts; a restart may raise them again', {
        file: this.store.file,
        error: (e as Error).message,
      });
    }
  }

  private send(alert: Alert): void {
    const sent = this.sink.alert(alert).then(
      // Not written now: the next write drops it, and until then a restart only re-sends a duplicate
      // that the cloud de-duplicates on (alertId, state).
      () => void this.unacked.delete(unackedKey(alert)),
      (e: unknown) => {
        this.counters.sinkErrors++;
        this.logger.warn('sink refused an alert', { alertId: alert.alertId, error: (e as Error).message });
      },
    );
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }
}

function unackedKey(alert: Alert): string {
  return `${alert.alertId}\n${alert.state}`;
}
