import { ConnectionState } from './connection-state.js';
import type { ConnectionStats, Transport } from './types.js';

/** The connection-facing half of `Transport`, which every implementation answers from its ConnectionState. */
export abstract class BaseTransport implements Pick<Transport, 'connected' | 'stats' | 'onConnectionChange'> {
  protected readonly state: ConnectionState;

  constructor(now?: () => number) {
    this.state = new ConnectionState(now);
  }

  get connected(): boolean {
    return this.state.connected;
  }

  stats(): ConnectionStats {
    return { ...this.state.stats };
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    return this.state.onChange(listener);
  }
}
