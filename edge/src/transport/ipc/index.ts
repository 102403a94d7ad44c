import ipcModule from 'aws-iot-device-sdk-v2/dist/greengrasscoreipc.js';
import type * as ipc from 'aws-iot-device-sdk-v2/dist/greengrasscoreipc/client.js';
import type * as model from 'aws-iot-device-sdk-v2/dist/greengrasscoreipc/model.js';
import { SHADOW_NAMES, shadowTopic } from '../../../../protocol/index.js';
import type { ConfigShadowPort, ShadowDocument } from '../../ports.js';
import { type BackoffOptions, RetryTimer } from '../backoff.js';
import { BaseTransport } from '../base.js';
import { ConnectionLostError } from '../errors.js';
import { parseJsonObject, toShadowDocument } from '../shadow-document.js';
import type { MessageHandler, Transport } from '../types.js';

/** Set by the Greengrass nucleus for every component it runs; its presence selects this transport. */
export const NUCLEUS_SOCKET_ENV = 'AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT' as const;

interface Closable {
  close(): Promise<void>;
}

export interface IpcTransportOptions {
  backoff?: BackoffOptions;
  now?: () => number;
}

/**
 * Greengrass IPC through the nucleus (`aws-iot-device-sdk-v2` greengrasscoreipc): PublishToIoTCore
 * and SubscribeToIoTCore go over the nucleus's own MQTT connection, shadows through ShadowManager,
 * configuration through GetConfiguration/SubscribeToConfigurationUpdate. A dropped IPC connection
 * is re-established with backoff and every subscription re-opened.
 */
export class IpcTransport extends BaseTransport implements Transport {
  readonly kind = 'ipc' as const;
  private client: ipc.Client | null = null;
  private readonly iotSubscriptions = new Map<string, MessageHandler>();
  private readonly localSubscriptions = new Map<string, MessageHandler>();
  private streams: Closable[] = [];
  private readonly retry: RetryTimer;
  private closing = false;
  private connecting = false;

  constructor(options: IpcTransportOptions = {}) {
    super(options.now);
    this.retry = new RetryTimer(() => this.start(), options.backoff);
  }

  start(): void {
    if (this.client || this.connecting || this.closing) return;
    this.connecting = true;
    void this.connect().finally(() => {
      this.connecting = false;
    });
  }

  private async connect(): Promise<void> {
    let client: ipc.Client | null = null;
    try {
      client = ipcModule.createClient();
      client.on('disconnection', () => this.onDisconnect(client!));
      await client.connect();
      if (this.closing) {
        await client.close().catch(() => {});
        return;
      }
      this.client = client;
      for (const [topic, handler] of this.iotSubscriptions)
        await this.openIotSubscription(client, topic, handler);
      for (const [topic, handler] of this.localSubscriptions)
        await this.openLocalSubscription(client, topic, handler);
      this.retry.reset();
      this.state.up();
    } catch (e) {
      this.state.stats.lastError = errorText(e);
      if (client) this.onDisconnect(client);
      else this.scheduleRetry();
    }
  }

  private onDisconnect(client: ipc.Client): void {
    if ((this.client !== null && this.client !== client) || this.closing) {
      void client.close().catch(() => {});
      return;
    }
    this.client = null;
    this.streams = [];
    void client.close().catch(() => {});
    this.state.down(new ConnectionLostError('IPC connection to the nucleus lost'));
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (!this.closing) this.retry.schedule();
  }

  private requireClient(): ipc.Client {
    if (!this.client || !this.state.connected) throw new ConnectionLostError('not connected to the nucleus');
    return this.client;
  }

  publish(topic: string, payload: Buffer | string): Promise<void> {
    let client: ipc.Client;
    try {
      client = this.requireClient();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.state.track((resolve, reject) => {
      client.publishToIoTCore({ topicName: topic, qos: '1' as model.QOS, payload }).then(
        () => resolve(),
        (e: unknown) => reject(new Error(`PublishToIoTCore ${topic}: ${errorText(e)}`)),
      );
    });
  }

  async subscribe(topic: string, handler: MessageHandler): Promise<void> {
    this.iotSubscriptions.set(topic, handler);
    if (this.client && this.state.connected) await this.openIotSubscription(this.client, topic, handler);
  }

  /** Greengrass local publish/subscribe (where ShadowManager announces shadow deltas). */
  async subscribeLocal(topic: string, handler: MessageHandler): Promise<void> {
    this.localSubscriptions.set(topic, handler);
    if (this.client && this.state.connected) await this.openLocalSubscription(this.client, topic, handler);
  }

  private async openIotSubscription(
    client: ipc.Client,
    topic: string,
    handler: MessageHandler,
  ): Promise<void> {
    const stream = client.subscribeToIoTCore({ topicName: topic, qos: '1' as model.QOS });
    stream.on('message', (event: model.IoTCoreMessage) => {
      const m = event.message;
      if (m) handler({ topic: m.topicName, payload: toBuffer(m.payload) });
    });
    await stream.activate();
    this.streams.push(stream);
  }

  private async openLocalSubscription(
    client: ipc.Client,
    topic: string,
    handler: MessageHandler,
  ): Promise<void> {
    const stream = client.subscribeToTopic({ topic });
    stream.on('message', (event: model.SubscriptionResponseMessage) => {
      const binary = event.binaryMessage;
      const json = event.jsonMessage;
      if (binary) handler({ topic: binary.context?.topic ?? topic, payload: toBuffer(binary.message) });
      else if (json)
        handler({ topic: json.context?.topic ?? topic, payload: Buffer.from(JSON.stringify(json.message)) });
    });
    await stream.activate();
    this.streams.push(stream);
  }

  async getThingShadow(thingName: string, shadowName: string): Promise<Buffer | null> {
    try {
      const reply = await this.requireClient().getThingShadow({ thingName, shadowName });
      return toBuffer(reply.payload);
    } catch (e) {
      if (serviceErrorType(e) === 'ResourceNotFoundError') return null;
      throw new Error(`GetThingShadow ${thingName}/${shadowName}: ${errorText(e)}`);
    }
  }

  async updateThingShadow(thingName: string, shadowName: string, document: unknown): Promise<void> {
    try {
      await this.requireClient().updateThingShadow({
        thingName,
        shadowName,
        payload: JSON.stringify(document),
      });
    } catch (e) {
      throw new Error(`UpdateThingShadow ${thingName}/${shadowName}: ${errorText(e)}`);
    }
  }

  /** The component's whole configuration as the nucleus merged it. */
  async getConfiguration(): Promise<unknown> {
    const reply = await this.requireClient().getConfiguration({ keyPath: [] });
    return reply.value;
  }

  async onConfigurationUpdate(listener: () => void): Promise<void> {
    const stream = this.requireClient().subscribeToConfigurationUpdate({ keyPath: [] });
    stream.on('message', () => listener());
    await stream.activate();
    this.streams.push(stream);
  }

  async reportState(state: 'RUNNING' | 'ERRORED'): Promise<void> {
    await this.requireClient().updateState({ state: state as model.ReportedLifecycleState });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.retry.cancel();
    const client = this.client;
    this.client = null;
    this.state.down(new ConnectionLostError('transport closed'));
    for (const s of this.streams.splice(0)) await s.close().catch(() => {});
    if (client) await client.close().catch(() => {});
  }
}

/**
 * The `config` shadow through ShadowManager: Get/UpdateThingShadow over IPC, and the delta that
 * ShadowManager publishes on local pub/sub (`…/shadow/name/config/update/delta`).
 */
export class IpcConfigShadow implements ConfigShadowPort {
  private readonly listeners = new Set<(doc: ShadowDocument) => void>();
  private subscribed: Promise<void> | null = null;

  constructor(
    private readonly transport: IpcTransport,
    private readonly thingName: string,
  ) {
    transport.onConnectionChange((connected) => {
      if (connected && this.listeners.size) void this.refresh();
    });
  }

  async get(): Promise<ShadowDocument | null> {
    const payload = await this.transport.getThingShadow(this.thingName, SHADOW_NAMES.config);
    if (!payload) return null;
    return toShadowDocument(parseJsonObject(payload));
  }

  subscribe(listener: (doc: ShadowDocument) => void): () => void {
    this.listeners.add(listener);
    this.subscribed ??= this.transport.subscribeLocal(
      shadowTopic(this.thingName, SHADOW_NAMES.config, 'update', 'delta'),
      () => void this.refresh(),
    );
    void this.subscribed.then(async () => {
      if (this.transport.connected) await this.refresh();
    });
    return () => this.listeners.delete(listener);
  }

  report(reported: Record<string, unknown>): Promise<void> {
    return this.transport.updateThingShadow(this.thingName, SHADOW_NAMES.config, { state: { reported } });
  }

  private async refresh(): Promise<void> {
    try {
      const doc = await this.get();
      if (doc) for (const l of this.listeners) l(doc);
    } catch {
      // The next delta or reconnect refreshes again; the config in force stays until then.
    }
  }
}

function toBuffer(payload: unknown): Buffer {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload);
  if (ArrayBuffer.isView(payload)) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload instanceof ArrayBuffer) return Buffer.from(payload);
  return Buffer.from(JSON.stringify(payload));
}

/** The modelled service error name (`UnauthorizedError`, `ResourceNotFoundError`…) an RPC failed with. */
function serviceErrorType(e: unknown): string | undefined {
  const se = (e as { serviceError?: { _service_model_type?: string; _errorCode?: string } }).serviceError;
  return se?._service_model_type?.replace(/^aws\.greengrass#/, '') ?? se?._errorCode;
}

function errorText(e: unknown): string {
  const err = e as { message?: string; serviceError?: { message?: string } };
  const type = serviceErrorType(e);
  const detail = err.serviceError?.message ?? err.message ?? String(e);
  return type ? `${type}: ${detail}` : detail;
}
