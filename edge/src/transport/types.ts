export interface IncomingMessage {
  topic: string;
  payload: Buffer;
}

export type MessageHandler = (message: IncomingMessage) => void;

export interface ConnectionStats {
  connected: boolean;
  /** Successful connections after the first. */
  reconnects: number;
  lastConnectedAt: number | null;
  lastError: string | null;
}

/**
 * How the component reaches IoT Core: direct MQTT over mutual TLS, or the Greengrass nucleus over IPC.
 * Implementations reconnect on their own (exponential backoff, full jitter) until `close()`.
 */
export interface Transport {
  readonly kind: 'mqtt' | 'ipc' | 'memory';
  start(): void;
  readonly connected: boolean;
  stats(): ConnectionStats;
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  /** QoS 1: resolves on PUBACK; rejects if the connection drops first (the caller sends it again). */
  publish(topic: string, payload: Buffer | string): Promise<void>;
  /** Kept across reconnects. */
  subscribe(topic: string, handler: MessageHandler): Promise<void>;
  close(): Promise<void>;
}
