import { createServer, type Server, type Socket } from 'node:net';
import {
  encodeFrame,
  type Frame,
  FrameReader,
  HEADER,
  MESSAGE_FLAGS as FLAGS,
  MESSAGE_TYPE,
} from '../../../edge/src/transport/ipc/index.js';
import type { InjectedError, ReceivedFrame, RecordedPublish, ShadowRecord } from './types.js';

interface Stream {
  socket: Socket;
  streamId: number;
  operation: string;
  /** Topic or key path the stream listens on. */
  filter: string;
}

type Reply = { shape: string; body: unknown } | { error: InjectedError };

/**
 * A Greengrass nucleus stand-in speaking eventstream-RPC over a Unix socket, for running the real
 * `greengrasscoreipc` client in tests: connect with the auth token, request/response and streaming
 * operations, modelled errors. It keeps shadows, component configuration and every publish in memory.
 */
export class FakeNucleus {
  readonly published: RecordedPublish[] = [];
  readonly shadows = new Map<string, ShadowRecord>();
  readonly states: string[] = [];
  /** Every frame a client sent, in order, for wire-format comparisons. */
  readonly received: ReceivedFrame[] = [];
  configuration: Record<string, unknown> = {};
  /** When set, PublishToIoTCore waits for this before replying (simulates a slow or offline cloud link). */
  publishGate: Promise<void> | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly streams: Stream[] = [];
  private readonly errors = new Map<string, InjectedError[]>();
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly socketPath: string,
    readonly authToken: string,
  ) {}

  static async start(socketPath: string, authToken: string): Promise<FakeNucleus> {
    let nucleus: FakeNucleus | undefined;
    const server = createServer((socket) => nucleus!.accept(socket));
    nucleus = new FakeNucleus(server, socketPath, authToken);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, resolve);
    });
    return nucleus;
  }

  /** The environment the nucleus gives a component process. */
  componentEnv(): Record<string, string> {
    return { AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: this.socketPath, SVCUID: this.authToken };
  }

  /** The next `count` calls of `operation` fail with this modelled error. */
  failNext(operation: string, error: InjectedError, count = 1): void {
    this.errors.set(operation, [...(this.errors.get(operation) ?? []), ...Array(count).fill(error)]);
  }

  /** A message from IoT Core to the components subscribed to `topic` (SubscribeToIoTCore). */
  deliverFromCloud(topic: string, payload: string): void {
    for (const s of this.streams.filter((s) => s.operation === 'SubscribeToIoTCore' && s.filter === topic)) {
      this.send(s.socket, s.streamId, 'IoTCoreMessage', {
        message: { topicName: topic, payload: Buffer.from(payload).toString('base64') },
      });
    }
  }

  /** Sets the desired state of a shadow as an operator would, and announces the delta locally like ShadowManager. */
  setDesired(thingName: string, shadowName: string, desired: Record<string, unknown>): void {
    const key = `${thingName}/${shadowName}`;
    const current = this.shadows.get(key) ?? { state: {}, version: 0 };
    const next: ShadowRecord = { state: { ...current.state, desired }, version: current.version + 1 };
    this.shadows.set(key, next);
    const topic = `$aws/things/${thingName}/shadow/name/${shadowName}/update/delta`;
    for (const s of this.streams.filter((s) => s.operation === 'SubscribeToTopic' && s.filter === topic)) {
      const delta = { state: desired, version: next.version };
      this.send(s.socket, s.streamId, 'SubscriptionResponseMessage', {
        binaryMessage: { message: Buffer.from(JSON.stringify(delta)).toString('base64'), context: { topic } },
      });
    }
  }

  /** Cuts every component connection, as a nucleus restart does. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  subscribers(operation: string): string[] {
    return this.streams.filter((s) => s.operation === operation).map((s) => s.filter);
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const reader = new FrameReader();
    let authenticated = false;
    socket.on('data', (chunk) => {
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const message of frames) {
        this.received.push({ ...message, payload: message.payload.toString() });
        const { type, streamId } = message;
        if (type === MESSAGE_TYPE.connect) {
          const { authToken } = JSON.parse(message.payload.toString() || '{}') as { authToken?: string };
          authenticated = authToken === this.authToken;
          if (authenticated) this.connections++;
          socket.write(
            encodeFrame({
              type: MESSAGE_TYPE.connectAck,
              flags: authenticated ? FLAGS.connectionAccepted : FLAGS.none,
              streamId: 0,
            }),
          );
          continue;
        }
        if (type === MESSAGE_TYPE.ping) {
          socket.write(encodeFrame({ type: MESSAGE_TYPE.pingResponse, flags: FLAGS.none, streamId: 0 }));
          continue;
        }
        if (!authenticated || type !== MESSAGE_TYPE.applicationMessage) continue;
        const operation = message.headers[HEADER.operation];
        if (typeof operation !== 'string') {
          // A frame on an open stream without an operation: the client closing that stream.
          this.removeStream(socket, streamId);
          continue;
        }
        const request = JSON.parse(message.payload.toString() || '{}') as Record<string, unknown>;
        void this.handle(socket, streamId, operation.replace(/^aws\.greengrass#/, ''), request);
      }
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (let i = this.streams.length - 1; i >= 0; i--)
        if (this.streams[i]!.socket === socket) this.streams.splice(i, 1);
    });
    socket.on('error', () => {});
  }

  private removeStream(socket: Socket, streamId: number): void {
    const i = this.streams.findIndex((s) => s.socket === socket && s.streamId === streamId);
    if (i >= 0) this.streams.splice(i, 1);
  }

  private async handle(
    socket: Socket,
    streamId: number,
    operation: string,
    request: Record<string, unknown>,
  ) {
    const injected = this.errors.get(operation)?.shift();
    const reply: Reply = injected
      ? { error: injected }
      : await this.operate(socket, streamId, operation, request);
    if (socket.destroyed) return;
    if ('error' in reply) {
      socket.write(
        replyFrame({
          type: MESSAGE_TYPE.applicationError,
          flags: FLAGS.terminateStream,
          streamId,
          shape: reply.error.shape,
          body: {
            message: reply.error.message,
            _message: reply.error.message,
            _errorCode: reply.error.shape,
            _service_model_type: `aws.greengrass#${reply.error.shape}`,
          },
        }),
      );
      return;
    }
    const streaming = ['SubscribeToIoTCore', 'SubscribeToTopic', 'SubscribeToConfigurationUpdate'].includes(
      operation,
    );
    socket.write(
      replyFrame({
        type: MESSAGE_TYPE.applicationMessage,
        flags: streaming ? FLAGS.none : FLAGS.terminateStream,
        streamId,
        shape: reply.shape,
        body: reply.body,
      }),
    );
  }

  private async operate(
    socket: Socket,
    streamId: number,
    operation: string,
    request: Record<string, unknown>,
  ): Promise<Reply> {
    const shadowKey = `${String(request.thingName)}/${String(request.shadowName ?? '')}`;
    switch (operation) {
      case 'PublishToIoTCore': {
        if (this.publishGate) await this.publishGate;
        this.published.push({
          topicName: String(request.topicName),
          qos: String(request.qos),
          payload: Buffer.from(String(request.payload ?? ''), 'base64'),
        });
        return { shape: 'PublishToIoTCoreResponse', body: {} };
      }
      case 'SubscribeToIoTCore':
        this.streams.push({ socket, streamId, operation, filter: String(request.topicName) });
        return { shape: 'SubscribeToIoTCoreResponse', body: {} };
      case 'SubscribeToTopic':
        this.streams.push({ socket, streamId, operation, filter: String(request.topic) });
        return { shape: 'SubscribeToTopicResponse', body: {} };
      case 'SubscribeToConfigurationUpdate':
        this.streams.push({ socket, streamId, operation, filter: JSON.stringify(request.keyPath ?? []) });
        return { shape: 'SubscribeToConfigurationUpdateResponse', body: {} };
      case 'GetConfiguration':
        return {
          shape: 'GetConfigurationResponse',
          body: { componentName: 'com.towerwatch.Edge', value: this.configuration },
        };
      case 'UpdateState':
        this.states.push(String(request.state));
        return { shape: 'UpdateStateResponse', body: {} };
      case 'GetThingShadow': {
        const shadow = this.shadows.get(shadowKey);
        if (!shadow) {
          return { error: { shape: 'ResourceNotFoundError', message: `No shadow found for ${shadowKey}` } };
        }
        return {
          shape: 'GetThingShadowResponse',
          body: { payload: Buffer.from(JSON.stringify(shadow)).toString('base64') },
        };
      }
      case 'UpdateThingShadow': {
        const doc = JSON.parse(Buffer.from(String(request.payload), 'base64').toString()) as ShadowRecord;
        const current = this.shadows.get(shadowKey) ?? { state: {}, version: 0 };
        const next: ShadowRecord = {
          state: {
            desired: doc.state.desired ?? current.state.desired,
            reported: { ...current.state.reported, ...doc.state.reported },
          },
          version: current.version + 1,
        };
        this.shadows.set(shadowKey, next);
        return {
          shape: 'UpdateThingShadowResponse',
          body: { payload: Buffer.from(JSON.stringify(next)).toString('base64') },
        };
      }
      default:
        return {
          error: {
            shape: 'ServiceError',
            message: `operation ${operation} not supported by the fake nucleus`,
          },
        };
    }
  }

  /** Pushes a configuration change to SubscribeToConfigurationUpdate streams. */
  updateConfiguration(configuration: Record<string, unknown>): void {
    this.configuration = configuration;
    for (const s of this.streams.filter((s) => s.operation === 'SubscribeToConfigurationUpdate')) {
      this.send(s.socket, s.streamId, 'ConfigurationUpdateEvents', {
        configurationUpdateEvent: { componentName: 'com.towerwatch.Edge', keyPath: [] },
      });
    }
  }

  private send(socket: Socket, streamId: number, shape: string, body: unknown): void {
    if (socket.destroyed) return;
    socket.write(
      replyFrame({ type: MESSAGE_TYPE.applicationMessage, flags: FLAGS.none, streamId, shape, body }),
    );
  }
}

/** A nucleus reply: the shape in `service-model-type`, a JSON body. */
function replyFrame(input: { type: number; flags: number; streamId: number; shape: string; body: unknown }) {
  return encodeFrame({
    type: input.type,
    flags: input.flags,
    streamId: input.streamId,
    headers: {
      [HEADER.serviceModelType]: `aws.greengrass#${input.shape}`,
      [HEADER.contentType]: 'application/json',
    },
    payload: JSON.stringify(input.body),
  });
}
