import { BaseTransport } from '../base.js';
import { ConnectionLostError } from '../errors.js';
import type { MessageHandler, Transport } from '../types.js';

export interface PublishedMessage {
  topic: string;
  payload: Buffer;
}

/**
 * An in-process IoT Core stand-in: publishes are recorded and acknowledged by `ackDelay` (default at
 * once), the link can be cut and restored, and messages can be injected for subscribers. Used by the
 * benchmark and by tests that exercise delivery logic without sockets.
 */
export class MemoryTransport extends BaseTransport implements Transport {
  readonly kind = 'memory' as const;
  readonly published: PublishedMessage[] = [];
  private readonly subscriptions = new Map<string, MessageHandler>();
  private linkUp = true;
  private started = false;

  constructor(
    private readonly options: {
      /** Called for every publish; resolve to PUBACK. Default: acknowledge at once. */
      onPublish?: (message: PublishedMessage) => Promise<void> | void;
    } = {},
  ) {
    super();
  }

  start(): void {
    this.started = true;
    if (this.linkUp) this.state.up();
  }

  /** Cuts (false) or restores (true) the link. */
  setLink(up: boolean): void {
    this.linkUp = up;
    if (!up) this.state.down(new ConnectionLostError('link down'));
    else if (this.started) this.state.up();
  }

  publish(topic: string, payload: Buffer | string): Promise<void> {
    if (!this.state.connected) return Promise.reject(new ConnectionLostError('not connected'));
    const message = { topic, payload: Buffer.from(payload) };
    return this.state.track((resolve, reject) => {
      Promise.resolve(this.options.onPublish?.(message)).then(() => {
        if (!this.state.connected) return;
        this.published.push(message);
        resolve();
      }, reject);
    });
  }

  async subscribe(topic: string, handler: MessageHandler): Promise<void> {
    this.subscriptions.set(topic, handler);
  }

  /** Delivers a message to the subscriber of `topic`, as the broker would. */
  inject(topic: string, payload: Buffer | string): void {
    this.subscriptions.get(topic)?.({ topic, payload: Buffer.from(payload) });
  }

  async close(): Promise<void> {
    this.started = false;
    this.state.down(new ConnectionLostError('transport closed'));
  }
}
