import type { EdgeConfig } from '../../../protocol/index.js';
import type { Logger } from '../config/index.js';
import type { Clock, ConfigShadowPort, SequenceSource, Sink } from '../ports.js';
import type { SamplerStats, Timers } from '../sampling/index.js';
import type { ModbusClientFactory, SensorSource, Simulator } from '../sensors/index.js';

export interface TowerMonitorOptions {
  config: EdgeConfig;
  sink: Sink;
  seq: SequenceSource;
  /** The named shadow `config`; without it the component runs on its file/recipe config (and persisted overrides). */
  shadow?: ConfigShadowPort;
  clock?: Clock;
  /** Inject with `clock` to run on virtual time. */
  timers?: Timers;
  /** Where applied shadow overrides and open alerts (`alerts-open.json`) persist across restarts. */
  stateDir: string;
  /** Sources to use instead of (same id) or besides the ones `config.sensors` describes; sampled at 1 s unless configured. */
  sources?: SensorSource[];
  logger?: Logger;
  /** Modbus client factory (tests exercise RTU without a serial port). */
  modbusClient?: ModbusClientFactory;
}

export interface MonitorStats {
  /** Samples taken, good and failed. */
  readings: number;
  failures: number;
  skippedReads: number;
  alertsRaised: number;
  alertsCleared: number;
  /** Alerts of a previous run that its sink had not accepted, handed over again at start. */
  alertsResent: number;
  batchesSealed: number;
  sinkErrors: number;
  activeAlerts: number;
  perSensor: Record<string, SamplerStats>;
  appliedShadowVersion: number | null;
  configError: string | null;
}

export interface TowerMonitor {
  start(): Promise<void>;
  /** Stops sampling, sends the open batch and waits for the sink to accept what it was given. */
  stop(): Promise<void>;
  stats(): MonitorStats;
  /** The simulated sensors, for anomaly injection; undefined when the tower has none. */
  readonly simulator: Simulator | undefined;
  /** The configuration in force: the component config with the shadow overrides applied to `tunable`. */
  effectiveConfig(): EdgeConfig;
  /** Resolves when every shadow document received so far was handled (tests, demo). */
  shadowSettled(): Promise<void>;
}
