import type { EdgeConfig } from '../../../protocol/index.js';
import type { Logger } from '../config/index.js';
import type { DurableBuffer } from '../buffer/index.js';
import type { Delivery, Scheduler } from '../delivery/index.js';
import type { SensorSource, TowerMonitor } from '../monitor/index.js';
import type { Clock } from '../ports.js';
import type { Timers } from '../sampling/index.js';
import type { Transport } from '../transport/index.js';

export interface StartEdgeOptions {
  config: EdgeConfig;
  /** Buffer, sequence and applied-config state. Greengrass: `{work:path}`. Default: `.towerwatch/edge/<towerId>` under the working directory. */
  stateDir?: string;
  clock?: Clock;
  /** With `clock`: run sampling on virtual time. */
  timers?: Timers;
  /** Default: chosen from `config.transport` and the environment (Greengrass IPC when the nucleus socket is set). */
  transport?: Transport;
  /** Extra or replacement sensor sources (tests, the local fleet). */
  sources?: SensorSource[];
  logger?: Logger;
  /** Delivery's view of time (the throttle); tests and benchmarks inject a simulated one. */
  scheduler?: Scheduler;
  env?: Record<string, string | undefined>;
}

export interface EdgeStats {
  towerId: string;
  transport: Transport['kind'];
  connected: boolean;
  reconnects: number;
  buffer: { depthMessages: number; depthBytes: number; diskBytes: number; alertsPending: number };
  delivered: { messages: number; batches: number; readings: number; alerts: number };
  drops: { readings: number; corruptRecords: number };
}

export interface EdgeHandle {
  readonly towerId: string;
  /** The sensing half, for anomaly injection (`monitor.simulator`) and its own stats. */
  readonly monitor: TowerMonitor;
  readonly buffer: DurableBuffer;
  readonly delivery: Delivery;
  readonly transport: Transport;
  stats(): EdgeStats;
  /** Stops sensing (sealing the open batch into the buffer), delivery and the connection; the buffer keeps what is undelivered. */
  stop(): Promise<void>;
}
