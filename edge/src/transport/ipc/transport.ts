import { type BackoffOptions, RetryTimer } from '../backoff.js';
import { BaseTransport } from '../base.js';
import { ConnectionLostError } from '../errors.js';
import type { MessageHandler, Transport } from '../types.js';
import { IpcAuthError, IpcServiceError } from './errors.js';
import { EventStreamRpcConnection, type RpcReply, type RpcStream } from './rpc-connection.js';

/** Set by the Greengrass nucleus for every component it runs; its presence selects this transport. */
export const NUCLEUS_SOCKET_ENV = 'AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT' as const;
/** The per-run token the nucleus checks in the IPC connect handshake. */
export const NUCLEUS_TOKEN_ENV = 'SVCUID' as const;

export interface IpcTransportOptions {
  backoff?: BackoffOptions;
  now?: () => number;
  /** Where the socket path and token come from; the process environment by default. */
  env?: Record<string, string | undefined>;
}

/**
 * Greengrass IPC through the nucleus: PublishToIoTCore and SubscribeToIoTCore go over the nucleus's
 * own MQTT connection, shadows through ShadowManager, configuration through
 * GetConfiguration/SubscribeToConfigurationUpdate. A dropped IPC connection is re-established with
 * backoff and every subscription re-opened.
 */
export class IpcTransport extends BaseTransport implements Transport {
  readonly kind = 'ipc' as const;
  private connection: EventStreamRpcConnection | null = null;
  private readonly iotSubscriptions = new Map<string, MessageHandler>();
  private readonly localSubscriptions = new Map<string, MessageHandler>();
  private streams: RpcStream[] = [];
  private readonly retry: RetryTimer;
  private readonly env: Record<string, string | undefined>;
  private closing = false;
  private connecting = false;
  private failed: Error | null = null;
  private readonly failureListeners: ((error: Error) => void)[] = [];

  constructor(options: IpcTransportOptions = {}) {
    super(options.now);
    this.env = options.env ?? process.env;
    this.retry = new RetryTimer(() => this.start(), options.backoff);
  }

  /**
   * Set when retrying cannot help: the nucleus refused this run's token. The nucleus issues a
   * token per launch, so the component should exit and let Greengrass start it again.
   */
  get failure(): Error | null {
    return this.failed;
  }

  onFailure(listener: (error: Error) => void): void {
    if (this.failed) listener(this.failed);
    else this.failureListeners.push(listener);
  }

  start(): void {
    if (this.connection || this.connecting || this.closing || this.failed) return;
    this.connecting = true;
    void this.connect().finally(() => {
      this.connecting = false;
    });
  }

  private async connect(): Promise<void> {
    let connection: EventStreamRpcConnection | null = null;
    try {
      connection = await EventStreamRpcConnection.connect({
        socketPath: this.env[NUCLEUS_SOCKET_ENV] ?? '',
        // Read at each attempt: a component restarted by the nucleus gets a new token.
        authToken: this.env[NUCLEUS_TOKEN_ENV] ?? '',
      });
      if (this.closing) {
        connection.close();
        return;
      }
      const opened = connection;
      opened.onClose((e) => this.onDisconnect(opened, e));
      this.connection = opened;
      let refused: string | null = null;
      for (const [topic, handler] of this.iotSubscriptions) {
        try {
          await this.openIotSubscription(opened, topic, handler);
        } catch (e) {
          // A refused subscription (a deployment without the grant) must not keep the component from
          // publishing: it is reported and asked for again at the next connect.
          if (!(e instanceof IpcServiceError)) throw e;
          refused = `SubscribeToIoTCore ${topic}: ${errorText(e)}`;
        }
      }
      for (const [topic, handler] of this.localSubscriptions)
        await this.openLocalSubscription(opened, topic, handler);
      this.retry.reset();
      this.state.up();
      if (refused) this.state.stats.lastError = refused;
    } catch (e) {
      this.state.stats.lastError = (e as Error).message;
      if (e instanceof IpcAuthError) {
        this.fail(e);
        return;
      }
      // An adopted connection's close handler schedules the retry too; the timer runs once.
      if (connection && !connection.closed) connection.close();
      if (!this.connection) this.scheduleRetry();
    }
  }

  private onDisconnect(connection: EventStreamRpcConnection, error: Error): void {
    if (this.connection !== connection) return;
    this.connection = null;
    this.streams = [];
    this.state.stats.lastError = error.message;
    if (this.closing) return;
    this.state.down(new ConnectionLostError('IPC connection to the nucleus lost'));
    this.scheduleRetry();
  }

  private fail(error: Error): void {
    this.failed = error;
    this.retry.cancel();
    for (const listener of this.failureListeners.splice(0)) listener(error);
  }

  private scheduleRetry(): void {
    if (!this.closing && !this.failed) this.retry.schedule();
  }

  private requireConnection(): EventStreamRpcConnection {
    if (!this.connection || !this.state.connected)
      throw new ConnectionLostError('not connected to the nucleus');
    return this.connection;
  }

  private call(operation: string, body: Record<string, unknown>): Promise<RpcReply> {
    try {
      return this.requireConnection().request(operation, body);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  publish(topic: string, payload: Buffer | string): Promise<void> {
    let connection: EventStreamRpcConnection;
    try {
      connection = this.requireConnection();
    } catch (e) {
      return Promise.reject(e);
    }
    const body = { topicName: topic, qos: '1', payload: Buffer.from(payload).toString('base64') };
    return this.state.track((resolve, reject) => {
      connection.request('PublishToIoTCore', body).then(
        () => resolve(),
        (e: Error) =>
          reject(
            e instanceof ConnectionLostError ? e : new Error(`PublishToIoTCore ${topic}: ${errorText(e)}`),
          ),
      );
    });
  }

  async subscribe(topic: string, handler: MessageHandler): Promise<void> {
    this.iotSubscriptions.set(topic, handler);
    if (this.connection && this.state.connected)
      await this.openIotSubscription(this.connection, topic, handler);
  }

  /** Greengrass local publish/subscribe (where ShadowManager announces shadow deltas). */
  async subscribeLocal(topic: string, handler: MessageHandler): Promise<void> {
    this.localSubscriptions.set(topic, handler);
    if (this.connection && this.state.connected)
      await this.openLocalSubscription(this.connection, topic, handler);
  }

  private async openIotSubscription(
    connection: EventStreamRpcConnection,
    topic: string,
    handler: MessageHandler,
  ): Promise<void> {
    const stream = await connection.openStream(
      'SubscribeToIoTCore',
      { topicName: topic, qos: '1' },
      (event) => {
        const message = event.body.message as { topicName?: string; payload?: string } | undefined;
        if (message) handler({ topic: message.topicName ?? topic, payload: fromBase64(message.payload) });
      },
    );
    this.streams.push(stream);
  }

  private async openLocalSubscription(
    connection: EventStreamRpcConnection,
    topic: string,
    handler: MessageHandler,
  ): Promise<void> {
    const stream = await connection.openStream('SubscribeToTopic', { topic }, (event) => {
      type Context = { context?: { topic?: string } };
      const binary = event.body.binaryMessage as ({ message?: string } & Context) | undefined;
      const json = event.body.jsonMessage as ({ message?: unknown } & Context) | undefined;
      if (binary) handler({ topic: binary.context?.topic ?? topic, payload: fromBase64(binary.message) });
      else if (json)
        handler({ topic: json.context?.topic ?? topic, payload: Buffer.from(JSON.stringify(json.message)) });
    });
    this.streams.push(stream);
  }

  async getThingShadow(thingName: string, shadowName: string): Promise<Buffer | null> {
    try {
      const reply = await this.call('GetThingShadow', { thingName, shadowName });
      return fromBase64(reply.body.payload as string | undefined);
    } catch (e) {
      if (e instanceof IpcServiceError && e.errorType === 'ResourceNotFoundError') return null;
      throw new Error(`GetThingShadow ${thingName}/${shadowName}: ${errorText(e)}`);
    }
  }

  async updateThingShadow(thingName: string, shadowName: string, document: unknown): Promise<void> {
    try {
      await this.call('UpdateThingShadow', {
        thingName,
        shadowName,
        payload: Buffer.from(JSON.stringify(document)).toString('base64'),
      });
    } catch (e) {
      throw new Error(`UpdateThingShadow ${thingName}/${shadowName}: ${errorText(e)}`);
    }
  }

  /** The component's whole configuration as the nucleus merged it. */
  async getConfiguration(): Promise<unknown> {
    const reply = await this.call('GetConfiguration', { keyPath: [] });
    return reply.body.value;
  }

  async onConfigurationUpdate(listener: () => void): Promise<void> {
    const stream = await this.requireConnection().openStream(
      'SubscribeToConfigurationUpdate',
      { keyPath: [] },
      () => listener(),
    );
    this.streams.push(stream);
  }

  async reportState(state: 'RUNNING' | 'ERRORED'): Promise<void> {
    await this.call('UpdateState', { state });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.retry.cancel();
    const connection = this.connection;
    this.connection = null;
    this.state.down(new ConnectionLostError('transport closed'));
    for (const s of this.streams.splice(0)) s.close();
    connection?.close();
  }
}

function fromBase64(value: string | undefined): Buffer {
  return value ? Buffer.from(value, 'base64') : Buffer.alloc(0);
}

/** A modelled service error reads `UnauthorizedError: detail`; anything else its message. */
function errorText(e: unknown): string {
  if (e instanceof IpcServiceError) return `${e.errorType}: ${e.detail}`;
  return (e as Error).message ?? String(e);
}
