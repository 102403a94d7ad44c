import {
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
import { AlertJournal } from './alert-journal.js';
import type { MonitorStats, TowerMonitor, TowerMonitorOptions } from './types.js';

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
  let tunable: ConfigShadowState = config.tunable;

  const detector = new Detector({ towerId: config.towerId, tunable });
  const journal = new AlertJournal({ stateDir: options.stateDir, detector, sink, logger, clock });
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
    journal.emit(detector.evaluate(sample), sample.time);
    const reading: Reading = { sensorId: sample.sensorId, time: sample.time, value: sample.value };
    if (sample.value === null) reading.quality = 'bad';
    batcher.add(reading);
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
      journal.emit(detector.forget(id, now), now);
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
      journal.resume(clock.now(), presenceOf);
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
      await Promise.all([batcher.drain(), journal.settle()]);
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
      const alerts = journal.stats();
      return {
        readings,
        failures,
        skippedReads,
        alertsRaised: alerts.alertsRaised,
        alertsCleared: alerts.alertsCleared,
        alertsResent: alerts.alertsResent,
        batchesSealed: batcher.stats().batchesSealed,
        sinkErrors: alerts.sinkErrors + batcher.stats().sinkErrors,
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
