import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { assertTowerId } from '../../../../protocol/index.js';
import { type BackoffOptions, RetryTimer } from '../backoff.js';
import { BaseTransport } from '../base.js';
import { ConnectionLostError, TransportConfigError } from '../errors.js';
import type { MessageHandler, Transport } from '../types.js';

export interface MqttTransportOptions {
  towerId: string;
  /** `mqtts://host:8883` */
  endpoint: string;
  /** PEM text of the device certificate, its key and the CA that signed the broker's certificate. */
  cert: string | Buffer;
  key: string | Buffer;
  ca: string | Buffer;
  keepaliveS?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  now?: () => number;
}

export interface MqttTransportPaths {
  towerId: string;
  endpoint?: string;
  certPath?: string;
  keyPath?: string;
  caPath?: string;
}

/** Reads the certificate files named in `transport.*Path`, with an error naming the field when one is missing. */
export function mqttOptionsFromPaths(config: MqttTransportPaths): MqttTransportOptions {
  if (!config.endpoint || !/^mqtts?:\/\//.test(config.endpoint)) {
    throw new TransportConfigError(
      `transport.endpoint ${JSON.stringify(config.endpoint ?? '')} is not an MQTT URL`,
      'transport.endpoint',
      'set it to mqtts://<host>:8883',
    );
  }
  const read = (field: 'certPath' | 'keyPath' | 'caPath') => {
    const path = config[field];
    if (!path) {
      throw new TransportConfigError(
        `transport.${field} is not set`,
        `transport.${field}`,
        'give the PEM file path',
      );
    }
    try {
      return readFileSync(path);
    } catch (e) {
      throw new TransportConfigError(
        `transport.${field}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        `transport.${field}`,
        'check the path and its permissions',
      );
    }
  };
  const check = (field: 'certPath' | 'keyPath' | 'caPath', pem: Buffer, parse: (pem: Buffer) => unknown) => {
    try {
      parse(pem);
      return pem;
    } catch {
      throw new TransportConfigError(
        `transport.${field}: ${config[field]} is not a PEM ${field === 'keyPath' ? 'private key' : 'certificate'}`,
        `transport.${field}`,
        'point it at the file certs-tool wrote',
      );
    }
  };
  return {
    towerId: config.towerId,
    endpoint: config.endpoint,
    cert: check('certPath', read('certPath'), (pem) => new X509Certificate(pem)),
    key: check('keyPath', read('keyPath'), (pem) => createPrivateKey(pem)),
    ca: check('caPath', read('caPath'), (pem) => new X509Certificate(pem)),
  };
}

/**
 * Direct MQTT 3.1.1 over mutual TLS with the pure-JavaScript `mqtt` client (no native code,
 * so it runs on 32-bit ARM too). Every connection attempt is a fresh client, so a publish
 * that lost its connection is re-sent by the delivery loop in order, not replayed by the client's
 * own store ahead of newer alerts.
 */
export class MqttTransport extends BaseTransport implements Transport {
  readonly kind = 'mqtt' as const;
  private client: MqttClient | null = null;
  private readonly subscriptions = new Map<string, MessageHandler>();
  private readonly retry: RetryTimer;
  private closing = false;

  constructor(private readonly options: MqttTransportOptions) {
    super(options.now);
    assertTowerId(options.towerId);
    this.retry = new RetryTimer(() => this.start(), options.backoff);
  }

  start(): void {
    if (this.client || this.closing) return;
    const client = mqtt.connect(this.options.endpoint, {
      clientId: this.options.towerId,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      keepalive: this.options.keepaliveS ?? 30,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      cert: this.options.cert,
      key: this.options.key,
      ca: this.options.ca,
      rejectUnauthorized: true,
    });
    this.client = client;
    client.on('connect', () => void this.onConnect(client));
    client.on('message', (topic, payload) => this.subscriptions.get(topic)?.({ topic, payload }));
    client.on('error', (e) => {
      this.state.stats.lastError = e.message;
    });
    client.on('close', () => this.onClose(client));
  }

  private async onConnect(client: MqttClient): Promise<void> {
    try {
      if (this.subscriptions.size) await client.subscribeAsync([...this.subscriptions.keys()], { qos: 1 });
      this.retry.reset();
      this.state.up();
    } catch (e) {
      this.state.stats.lastError = (e as Error).message;
      client.end(true);
    }
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    this.client = null;
    client.removeAllListeners();
    client.on('error', () => {});
    client.end(true);
    this.state.down(new ConnectionLostError(this.state.stats.lastError ?? 'connection closed'));
    if (!this.closing) this.retry.schedule();
  }

  publish(topic: string, payload: Buffer | string): Promise<void> {
    const client = this.client;
    if (!client || !this.state.connected) return Promise.reject(new ConnectionLostError('not connected'));
    return this.state.track((resolve, reject) => {
      client.publish(topic, payload, { qos: 1 }, (e) => (e ? reject(e) : resolve()));
    });
  }

  async subscribe(topic: string, handler: MessageHandler): Promise<void> {
    this.subscriptions.set(topic, handler);
    if (this.client && this.state.connected) await this.client.subscribeAsync(topic, { qos: 1 });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.retry.cancel();
    const client = this.client;
    this.client = null;
    this.state.down(new ConnectionLostError('transport closed'));
    if (client) await client.endAsync(true).catch(() => {});
  }
}
