import {
  type Alert,
  type ConfigShadowState,
  DEFAULT_BATCHING,
  type EdgeConfig,
  type Reading,
  SENSOR_DEFAULTS,
  type SensorDefinition,
} from '../../../protocol/index.js';
import { overlayTunable, ShadowConfigController, stderrLogger } from '../config/index.js';
import { Detector, type Sample, type SensorPresence } from '../detect/index.js';
import { systemClock } from '../ports.js';
import {
  BatchAssembler,
  type BatchLimits,
  SensorSampler,
  type SamplerOptions,
  systemTimers,
} from '../sampling/index.js';
import {
  createSensorSource,
  ModbusLinkPool,
  type SensorSource,
  Simulator,
  defaultModbusClient,
} from '../sensors/index.js';
import { ALERT_STATE_FORMAT, type AlertStateFile, AlertStateStore } from './alert-state.js';
import type { MonitorStats, TowerMonitor, TowerMonitorOptions } from './types.js';

/**
 * Alerts kept for re-sending after a restart while the sink has not accepted them; beyond this (a sink
 * hung for a long time) the oldest are still sent now but no longer re-sent after a restart.
 */
const UNACKED_LIMIT = 256;

interface SensorEntry {
  source: SensorSource;
  def: SensorDefinition | undefined;
  sampler: SensorSampler;
}

/**
 * The sensing half of the component: samples every sensor, runs detection on each sample, sends
 * alerts to the sink at once and readings in telemetry batches. Shadow overrides apply live.
 */
export function createTowerMonitor(options: TowerMonitorOptions): TowerMonitor {
  const { config, sink } = options;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const logger = options.logger ?? stderrLogger;
  const modbus = new ModbusLinkPool(options.modbusClient ?? defaultModbusClient);
  const simulator = new Simulator(clock);
  const counters = { alertsRaised: 0, alertsCleared: 0, alertsResent: 0, sinkErrors: 0 };
  const pendingAlerts = new Set<Promise<void>>();
  const alertState = new AlertStateStore(options.stateDir);
  /** Alerts handed to the sink and not yet accepted, by alertId and state, oldest first. */
  const unacked = new Map<string, Alert>();
  let tunable: ConfigShadowState = config.tunable;

  const detector = new Detector({ towerId: config.towerId, tunable });
  const batcher = new BatchAssembler({
    towerId: config.towerId,
    ...batchLimits(config, tunable),
    sink,
    seq: options.seq,
    clock,
    timers,
    onSinkError: (e) => logger.warn('sink refused a telemetry batch', { error: (e as Error).message }),
  });

  const onSample = (sample: Sample): void => {
    // Alerts first: they must not wait behind batching.
    emit(detector.evaluate(sample), sample.time);
    const reading: Reading = { sensorId: sample.sensorId, time: sample.time, value: sample.value };
    if (sample.value === null) reading.quality = 'bad';
    batcher.add(reading);
  };

  /** New transitions: on disk first, so a crash once the sink has them cannot lose the incident. */
  const emit = (alerts: Alert[], time: number): void => {
    if (alerts.length === 0) return;
    for (const alert of alerts) {
      if (alert.state === 'raise') counters.alertsRaised++;
      else counters.alertsCleared++;
      remember(alert);
    }
    persist(time);
    for (const alert of alerts) sendAlert(alert);
  };

  const remember = (alert: Alert): void => {
    unacked.set(unackedKey(alert), alert);
    if (unacked.size > UNACKED_LIMIT) unacked.delete(unacked.keys().next().value!);
  };

  const persist = (time: number): void => {
    try {
      alertState.save({
        format: ALERT_STATE_FORMAT,
        savedAt: time,
        ...detector.snapshot(time),
        unacked: [...unacked.values()],
      });
    } catch (e) {
      logger.warn('could not save the open alerts; a restart may raise them again', {
        file: alertState.file,
        error: (e as Error).message,
      });
    }
  };

  const sendAlert = (alert: Alert): void => {
    const sent = sink.alert(alert).then(
      // Not written now: the next write drops it, and until then a restart only re-sends a duplicate
      // that the cloud de-duplicates on (alertId, state).
      () => void unacked.delete(unackedKey(alert)),
      (e: unknown) => {
        counters.sinkErrors++;
        logger.warn('sink refused an alert', { alertId: alert.alertId, error: (e as Error).message });
      },
    );
    pendingAlerts.add(sent);
    void sent.finally(() => pendingAlerts.delete(sent));
  };

  /**
   * Takes up what the previous run left: alerts the sink never accepted are handed over again, open
   * incidents resume (or are cleared now when their sensor or rule is gone).
   */
  const resumeAlerts = (): void => {
    const now = clock.now();
    let saved: AlertStateFile | undefined;
    try {
      saved = alertState.load();
    } catch (e) {
      logger.warn('open alerts file unusable; starting with no open incidents', {
        error: (e as Error).message,
      });
      persist(now);
      return;
    }
    if (!saved) return;
    const open = new Set(saved.open.map((i) => i.alertId));
    const clearing = new Set(saved.unacked.filter((a) => a.state === 'clear').map((a) => a.alertId));
    // A raise whose incident was cleared and whose clear the sink accepted must not go out again after it.
    const resend = saved.unacked.filter(
      (a) => a.state === 'clear' || open.has(a.alertId) || clearing.has(a.alertId),
    );
    for (const alert of resend) remember(alert);
    const closed = detector.restore(saved, now, presenceOf);
    for (const alert of closed) {
      counters.alertsCleared++;
      remember(alert);
    }
    persist(now);
    counters.alertsResent += resend.length;
    for (const alert of [...resend, ...closed]) sendAlert(alert);
  };

  const presenceOf = (sensorId: string): SensorPresence => {
    const entry = entries.get(sensorId);
    if (!entry) return { absent: 'sensor no longer configured' };
    if (!enabled(sensorId, entry)) return { absent: 'sensor disabled' };
    return { kind: entry.source.kind };
  };

  const enabled = (id: string, entry: SensorEntry): boolean =>
    tunable.sensors?.[id]?.enabled ?? entry.def?.enabled ?? true;

  const entries = new Map<string, SensorEntry>();
  const ctx = { sysfsRoot: config.sysfsRoot, simulator, modbus };
  for (const def of config.sensors) {
    const custom = options.sources?.find((s) => s.id === def.id);
    const source = custom ?? createSensorSource(def, ctx);
    entries.set(def.id, {
      source,
      def,
      sampler: new SensorSampler(source, samplerOptions(def, tunable), clock, timers, onSample),
    });
  }
  for (const source of options.sources ?? []) {
    if (entries.has(source.id)) continue;
    entries.set(source.id, {
      source,
      def: undefined,
      sampler: new SensorSampler(
        source,
        samplerOptions(undefined, tunable, source.id),
        clock,
        timers,
        onSample,
      ),
    });
  }

  const applyTunable = (next: ConfigShadowState): void => {
    tunable = next;
    detector.setTunable(next);
    batcher.setLimits(batchLimits(config, next));
    if (!started) return;
    for (const [id, entry] of entries) syncSampler(id, entry);
  };

  const syncSampler = (id: string, entry: SensorEntry): void => {
    if (!enabled(id, entry)) {
      void entry.sampler.stop();
      const now = clock.now();
      emit(detector.forget(id, now), now);
      return;
    }
    entry.sampler.reconfigure(samplerOptions(entry.def, tunable, id));
    entry.sampler.start();
  };

  const shadow = new ShadowConfigController({
    ...(options.shadow ? { port: options.shadow } : {}),
    stateDir: options.stateDir,
    clock,
    logger,
    apply: (overrides) => applyTunable(overlayTunable(config.tunable, overrides)),
  });

  let started = false;
  return {
    simulator: simulator.sensorIds.length ? simulator : undefined,
    async start() {
      if (started) return;
      const restored = shadow.restore();
      applyTunable(overlayTunable(config.tunable, restored));
      resumeAlerts();
      started = true;
      for (const [id, entry] of entries) syncSampler(id, entry);
      shadow.start();
    },
    async stop() {
      if (!started) return;
      started = false;
      shadow.stop();
      await Promise.all([...entries.values()].map((e) => e.sampler.stop()));
      batcher.flush();
      await Promise.all([batcher.drain(), ...pendingAlerts]);
      // What the sink accepted leaves the file, so a clean restart re-sends nothing.
      persist(clock.now());
      await Promise.all([...entries.values()].map((e) => e.source.close?.()));
      await modbus.closeAll();
    },
    stats(): MonitorStats {
      const perSensor: MonitorStats['perSensor'] = {};
      let readings = 0;
      let failures = 0;
      let skippedReads = 0;
      for (const [id, entry] of entries) {
        const s = entry.sampler.stats();
        perSensor[id] = s;
        readings += s.reads;
        failures += s.failures;
        skippedReads += s.skipped;
      }
      const status = shadow.status();
      return {
        readings,
        failures,
        skippedReads,
        alertsRaised: counters.alertsRaised,
        alertsCleared: counters.alertsCleared,
        alertsResent: counters.alertsResent,
        batchesSealed: batcher.stats().batchesSealed,
        sinkErrors: counters.sinkErrors + batcher.stats().sinkErrors,
        activeAlerts: detector.active().length,
        perSensor,
        appliedShadowVersion: status.appliedVersion,
        configError: status.configError,
      };
    },
    effectiveConfig: () => ({ ...config, tunable }),
    shadowSettled: () => shadow.settled(),
  };
}

function unackedKey(alert: Alert): string {
  return `${alert.alertId}\n${alert.state}`;
}

function samplerOptions(
  def: SensorDefinition | undefined,
  tunable: ConfigShadowState,
  id = def?.id,
): SamplerOptions {
  const override = id === undefined ? undefined : tunable.sensors?.[id];
  return {
    intervalMs: override?.intervalMs ?? def?.intervalMs ?? SENSOR_DEFAULTS.intervalMs,
    timeoutMs: def?.timeoutMs ?? SENSOR_DEFAULTS.timeoutMs,
  };
}

function batchLimits(config: EdgeConfig, tunable: ConfigShadowState): BatchLimits {
  return {
    maxBytes: tunable.batching?.maxBytes ?? config.batching.maxBytes ?? DEFAULT_BATCHING.maxBytes,
    maxAgeMs: tunable.batching?.maxAgeMs ?? config.batching.maxAgeMs ?? DEFAULT_BATCHING.maxAgeMs,
  };
}
