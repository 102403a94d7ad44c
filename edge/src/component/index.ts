import { join } from 'node:path';
import { stderrLogger } from '../config/index.js';
import { DurableBuffer } from '../buffer/index.js';
import { Delivery } from '../delivery/index.js';
import { createTowerMonitor, type TowerMonitor } from '../monitor/index.js';
import { type ConfigShadowPort, systemClock } from '../ports.js';
import { TopicConfigShadow, type Transport } from '../transport/index.js';
import { IpcConfigShadow, IpcTransport } from '../transport/ipc/index.js';
import { createTransport } from './select-transport.js';
import { StatusReporter } from './status-reporter.js';
import type { EdgeHandle, EdgeStats, StartEdgeOptions } from './types.js';

export { type ApplyOutcome, ComponentLifecycle } from './lifecycle.js';
export { createTransport, runsUnderGreengrass } from './select-transport.js';
export { DEFAULT_STATUS_INTERVAL_MS, StatusReporter } from './status-reporter.js';
export type { EdgeHandle, EdgeStats, StartEdgeOptions } from './types.js';

function configShadowFor(transport: Transport, towerId: string): ConfigShadowPort {
  if (transport instanceof IpcTransport) return new IpcConfigShadow(transport, towerId);
  return new TopicConfigShadow(transport, towerId);
}

/**
 * The whole component: the disk buffer (the sensing half's Sink and SequenceSource), delivery to
 * IoT Core over the chosen transport, the `config` shadow, the status message, and the sensing half.
 */
export async function startEdge(options: StartEdgeOptions): Promise<EdgeHandle> {
  const { config } = options;
  const towerId = config.towerId;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? stderrLogger;
  const stateDir = options.stateDir ?? join(process.cwd(), '.towerwatch', 'edge', towerId);
  const buffer = await DurableBuffer.open({
    dir: config.buffer.dir ?? join(stateDir, 'buffer'),
    maxBytes: config.buffer.maxBytes,
    fsyncWindowMs: config.buffer.fsyncWindowMs,
    now: () => clock.now(),
    onStorageProblem: (line) => logger.warn(line),
  });
  let transport: Transport;
  try {
    transport = options.transport ?? (await createTransport(config, options.env ?? process.env));
  } catch (e) {
    await buffer.close();
    throw e;
  }
  const delivery = new Delivery({
    towerId,
    buffer,
    transport,
    maxInflight: config.transport.maxInflight,
    maxPublishesPerSecond: config.transport.maxPublishesPerSecond,
    maxBytesPerSecond: config.transport.maxBytesPerSecond,
    drainMaxBytes: config.transport.drainMaxBytes,
    confirmTimeoutMs: config.transport.confirmTimeoutMs,
    ...(options.scheduler && { scheduler: options.scheduler }),
  });
  let monitor: TowerMonitor | undefined;
  const status = new StatusReporter({ towerId, buffer, delivery, transport, monitor: () => monitor, clock });
  transport.onConnectionChange((connected) =>
    logger.info(connected ? 'connected to IoT Core' : 'disconnected from IoT Core', {
      transport: transport.kind,
      lastError: transport.stats().lastError,
    }),
  );
  transport.start();
  delivery.start();
  try {
    monitor = createTowerMonitor({
      config,
      sink: buffer,
      seq: buffer.seq,
      shadow: configShadowFor(transport, towerId),
      clock,
      stateDir,
      logger,
      ...(options.timers && { timers: options.timers }),
      ...(options.sources && { sources: options.sources }),
    });
    await monitor.start();
  } catch (e) {
    // A sensor source that cannot open: close what already runs, or its buffer lock would keep the
    // previous configuration from starting again (and its sockets the process from exiting).
    await monitor?.stop().catch(() => {});
    await delivery.stop();
    await transport.close();
    await buffer.close();
    throw e;
  }
  status.start();

  let stopped: Promise<void> | null = null;
  const stats = (): EdgeStats => {
    const b = buffer.stats();
    const d = delivery.stats();
    const c = transport.stats();
    return {
      towerId,
      transport: transport.kind,
      connected: c.connected,
      reconnects: c.reconnects,
      buffer: {
        depthMessages: b.alerts.depthMessages + b.telemetry.depthMessages,
        depthBytes: b.alerts.depthBytes + b.telemetry.depthBytes,
        diskBytes: b.diskBytes,
        alertsPending: b.alerts.depthMessages,
      },
      delivered: {
        messages: d.deliveredMessages,
        batches: d.deliveredBatches,
        readings: d.deliveredReadings,
        alerts: d.deliveredAlerts,
      },
      drops: { readings: b.droppedReadings, corruptRecords: b.corruptRecords },
    };
  };
  return {
    towerId,
    monitor,
    buffer,
    delivery,
    transport,
    stats,
    stop: () => {
      stopped ??= (async () => {
        status.stop();
        await monitor.stop();
        await buffer.sync();
        await delivery.stop();
        await transport.close();
        await buffer.close();
      })();
      return stopped;
    },
  };
}
