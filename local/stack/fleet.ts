import { join } from 'node:path';
import { ensureFleet } from '../../certs-tool/index.js';
import { type EdgeHandle, startEdge } from '../../edge/src/component/index.js';
import { silentLogger } from '../../edge/src/config/index.js';
import { simulatedTowerConfig } from '../../edge/src/sensors/simulated/tower.js';
import { EdgeConfigSchema } from '../../protocol/index.js';

export interface FleetOptions {
  dir: string;
  certsDir: string;
  mqttUrl: string;
  towers: number;
  sensors: number;
  rate: number;
  batchMaxAgeMs?: number;
  confirmTimeoutMs?: number;
}

export function towerIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `tower-${String(i + 1).padStart(3, '0')}`);
}

/**
 * The simulated towers: each runs the real edge component (sensing, disk buffer, direct mutual-TLS
 * MQTT) in this process with its own certificate and state directory.
 */
export class LocalFleet {
  private readonly handles = new Map<string, EdgeHandle>();
  readonly ids: string[];

  constructor(private readonly options: FleetOptions) {
    this.ids = towerIds(options.towers);
  }

  static async provision(certsDir: string, count: number): Promise<void> {
    await ensureFleet(certsDir, { towerIds: towerIds(count), serverHostnames: ['localhost'] });
  }

  configFor(towerId: string) {
    const device = join(this.options.certsDir, 'devices', towerId);
    return EdgeConfigSchema.parse({
      towerId,
      sensors: simulatedTowerConfig(towerId, {
        sensors: this.options.sensors,
        intervalMs: Math.max(100, Math.round(1000 / this.options.rate)),
      }),
      ...(this.options.batchMaxAgeMs !== undefined && { batching: { maxAgeMs: this.options.batchMaxAgeMs } }),
      transport: {
        kind: 'mqtt',
        endpoint: this.options.mqttUrl,
        certPath: join(device, 'cert.pem'),
        keyPath: join(device, 'key.pem'),
        caPath: join(device, 'ca.pem'),
        ...(this.options.confirmTimeoutMs !== undefined && {
          confirmTimeoutMs: this.options.confirmTimeoutMs,
        }),
      },
    });
  }

  stateDir(towerId: string): string {
    return join(this.options.dir, 'towers', towerId);
  }

  async start(towerId: string): Promise<EdgeHandle> {
    const existing = this.handles.get(towerId);
    if (existing) return existing;
    const handle = await startEdge({
      config: this.configFor(towerId),
      stateDir: this.stateDir(towerId),
      logger: silentLogger,
    });
    this.handles.set(towerId, handle);
    return handle;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.start(id)));
  }

  /** Stops a tower as a crash would leave it: what was buffered stays on disk for the next start. */
  async stop(towerId: string): Promise<void> {
    const handle = this.handles.get(towerId);
    this.handles.delete(towerId);
    await handle?.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.handles.keys()].map((id) => this.stop(id)));
  }

  get(towerId: string): EdgeHandle | undefined {
    return this.handles.get(towerId);
  }

  running(): EdgeHandle[] {
    return [...this.handles.values()];
  }
}
