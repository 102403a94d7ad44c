import type { ConnectionStats } from './types.js';

/** The bookkeeping every transport shares: connected flag, listeners, counters, publishes awaiting PUBACK. */
export class ConnectionState {
  connected = false;
  private everConnected = false;
  private readonly listeners = new Set<(connected: boolean) => void>();
  private readonly inflight = new Set<(e: Error) => void>();
  readonly stats: ConnectionStats = {
    connected: false,
    reconnects: 0,
    lastConnectedAt: null,
    lastError: null,
  };

  constructor(private readonly now: () => number = Date.now) {}

  up(): void {
    if (this.connected) return;
    if (this.everConnected) this.stats.reconnects++;
    this.everConnected = true;
    this.connected = true;
    this.stats.connected = true;
    this.stats.lastConnectedAt = this.now();
    this.stats.lastError = null;
    for (const l of this.listeners) l(true);
  }

  down(error: Error): void {
    if (error.message) this.stats.lastError = error.message;
    const pending = [...this.inflight];
    this.inflight.clear();
    for (const reject of pending) reject(error);
    if (!this.connected) return;
    this.connected = false;
    this.stats.connected = false;
    for (const l of this.listeners) l(false);
  }

  onChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs a publish whose promise also rejects when the connection drops first. */
  track(start: (resolve: () => void, reject: (e: Error) => void) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        this.inflight.delete(fail);
        reject(e);
      };
      this.inflight.add(fail);
      start(() => {
        if (settled) return;
        settled = true;
        this.inflight.delete(fail);
        resolve();
      }, fail);
    });
  }
}
