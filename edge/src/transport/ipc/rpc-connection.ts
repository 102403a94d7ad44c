import { createConnection, type Socket } from 'node:net';
import { ConnectionLostError } from '../errors.js';
import { IpcAuthError, IpcProtocolError, IpcServiceError } from './errors.js';
import { encodeFrame, type Frame, FrameReader, HEADER, MESSAGE_FLAGS, MESSAGE_TYPE } from './frames.js';

/** Greengrass operation and shape names live in this namespace on the wire. */
export const GREENGRASS_NAMESPACE = 'aws.greengrass#' as const;
/** The eventstream-RPC version the nucleus accepts in the connect message. */
export const RPC_VERSION = '0.1.0' as const;
const MAX_STREAM_ID = 0x7fffffff;

/** A reply or streamed event: its shape (without namespace) and JSON body. */
export interface RpcReply {
  shape: string;
  body: Record<string, unknown>;
}

export interface RpcConnectionOptions {
  /** `AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT`. */
  socketPath: string;
  /** `SVCUID`, the token the nucleus gives each component run. */
  authToken: string;
  connectTimeoutMs?: number;
}

export interface RpcStream {
  /** Tells the nucleus to stop the stream (no more events are delivered). */
  close(): void;
}

interface PendingStream {
  operation: string;
  responded: boolean;
  resolve(reply: RpcReply): void;
  reject(error: Error): void;
  /** Streaming operations only: events after the first reply, and the stream's end. */
  onEvent?: (event: RpcReply) => void;
  onEnd?: (error?: Error) => void;
}

/**
 * An eventstream-RPC client connection to the Greengrass nucleus over its Unix socket: the connect
 * handshake with the component's token, request/response operations, and streaming operations.
 * Written here rather than taken from aws-iot-device-sdk-v2, whose client sits on aws-crt's native
 * eventstream binding; that binding frees a stream twice when the socket drops while a request is
 * being written (heap corruption, then a deadlocked crash handler), and a tower must outlive nucleus restarts.
 */
export class EventStreamRpcConnection {
  private readonly streams = new Map<number, PendingStream>();
  private readonly closeListeners: ((error: Error) => void)[] = [];
  private nextStreamId = 1;
  private closedWith: Error | null = null;

  private constructor(private readonly socket: Socket) {}

  static connect(options: RpcConnectionOptions): Promise<EventStreamRpcConnection> {
    const socket = createConnection(options.socketPath);
    const connection = new EventStreamRpcConnection(socket);
    const reader = new FrameReader();
    return new Promise((resolve, reject) => {
      let handshaking = true;
      const fail = (error: Error) => {
        if (handshaking) {
          handshaking = false;
          clearTimeout(timer);
          reject(error);
        }
        connection.shutdown(error);
      };
      const timeoutMs = options.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(
        () => fail(new ConnectionLostError(`no connect reply from the nucleus within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.on('error', (e) =>
        fail(new ConnectionLostError(`IPC socket ${options.socketPath}: ${e.message}`)),
      );
      socket.on('close', () => fail(new ConnectionLostError('IPC connection to the nucleus lost')));
      socket.on('connect', () => {
        socket.write(
          encodeFrame({
            type: MESSAGE_TYPE.connect,
            flags: MESSAGE_FLAGS.none,
            streamId: 0,
            headers: { [HEADER.version]: RPC_VERSION },
            payload: JSON.stringify({ authToken: options.authToken }),
          }),
        );
      });
      socket.on('data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = reader.push(chunk);
        } catch (e) {
          fail(e as Error);
          return;
        }
        for (const frame of frames) {
          if (!handshaking) {
            connection.onFrame(frame);
            continue;
          }
          if (frame.type !== MESSAGE_TYPE.connectAck) {
            fail(
              new IpcProtocolError(
                `expected a connect reply from the nucleus, got message type ${frame.type}`,
              ),
            );
            return;
          }
          if (!(frame.flags & MESSAGE_FLAGS.connectionAccepted)) {
            fail(new IpcAuthError());
            return;
          }
          handshaking = false;
          clearTimeout(timer);
          resolve(connection);
        }
      });
    });
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Called once when the connection ends, by either side. */
  onClose(listener: (error: Error) => void): void {
    if (this.closedWith) listener(this.closedWith);
    else this.closeListeners.push(listener);
  }

  /** A request/response operation: resolves with the reply, rejects with IpcServiceError or ConnectionLostError. */
  request(operation: string, body: Record<string, unknown>): Promise<RpcReply> {
    return new Promise((resolve, reject) => this.activate(operation, body, { resolve, reject }));
  }

  /**
   * A streaming operation: resolves once the nucleus accepted it; `onEvent` then gets every event,
   * and `onEnd` is called once when the stream ends (by the nucleus, an error, or the connection dropping).
   */
  openStream(
    operation: string,
    body: Record<string, unknown>,
    onEvent: (event: RpcReply) => void,
    onEnd: (error?: Error) => void = () => {},
  ): Promise<RpcStream> {
    return new Promise((resolve, reject) => {
      const streamId = this.activate(operation, body, {
        resolve: () => resolve({ close: () => this.closeStream(streamId) }),
        reject,
        onEvent,
        onEnd,
      });
    });
  }

  close(): void {
    this.shutdown(new ConnectionLostError('IPC connection closed'));
  }

  private activate(
    operation: string,
    body: Record<string, unknown>,
    handlers: Omit<PendingStream, 'operation' | 'responded'>,
  ): number {
    if (this.closedWith) {
      handlers.reject(this.closedWith);
      return 0;
    }
    if (this.nextStreamId > MAX_STREAM_ID) {
      // Stream ids only grow on one connection; a fresh connection starts again at 1.
      this.shutdown(new ConnectionLostError('IPC stream ids exhausted; reconnecting'));
      handlers.reject(this.closedWith!);
      return 0;
    }
    const streamId = this.nextStreamId++;
    this.streams.set(streamId, { operation, responded: false, ...handlers });
    this.socket.write(
      encodeFrame({
        type: MESSAGE_TYPE.applicationMessage,
        flags: MESSAGE_FLAGS.none,
        streamId,
        headers: { [HEADER.operation]: `${GREENGRASS_NAMESPACE}${operation}` },
        payload: JSON.stringify(body),
      }),
    );
    return streamId;
  }

  private closeStream(streamId: number): void {
    if (!this.streams.delete(streamId) || this.closedWith) return;
    this.socket.write(
      encodeFrame({ type: MESSAGE_TYPE.applicationMessage, flags: MESSAGE_FLAGS.terminateStream, streamId }),
    );
  }

  private onFrame(frame: Frame): void {
    if (frame.type === MESSAGE_TYPE.ping) {
      this.socket.write(
        encodeFrame({ type: MESSAGE_TYPE.pingResponse, flags: MESSAGE_FLAGS.none, streamId: 0 }),
      );
      return;
    }
    if (frame.type === MESSAGE_TYPE.pingResponse) return;
    if (frame.type !== MESSAGE_TYPE.applicationMessage && frame.type !== MESSAGE_TYPE.applicationError) {
      this.shutdown(
        new IpcProtocolError(`unexpected eventstream message type ${frame.type} from the nucleus`),
      );
      return;
    }
    if (frame.streamId === 0) {
      this.shutdown(
        new IpcProtocolError(`the nucleus reported a connection error: ${frame.payload.toString()}`),
      );
      return;
    }
    // Frames for a stream this side already closed are late, not wrong.
    const stream = this.streams.get(frame.streamId);
    if (stream) this.deliver(frame.streamId, stream, frame);
  }

  private deliver(streamId: number, stream: PendingStream, frame: Frame): void {
    const shape = (frame.headers[HEADER.serviceModelType] ?? '').replace(GREENGRASS_NAMESPACE, '');
    let body: Record<string, unknown>;
    try {
      body = parseBody(frame.payload);
    } catch (e) {
      this.endStream(streamId, stream, new IpcProtocolError(`${stream.operation}: ${(e as Error).message}`));
      return;
    }
    if (frame.type === MESSAGE_TYPE.applicationError) {
      const detail = typeof body.message === 'string' ? body.message : frame.payload.toString();
      this.endStream(
        streamId,
        stream,
        new IpcServiceError(stream.operation, shape || 'UnknownError', detail),
      );
      return;
    }
    const terminated = Boolean(frame.flags & MESSAGE_FLAGS.terminateStream);
    if (!stream.responded) {
      stream.responded = true;
      stream.resolve({ shape, body });
      if (!stream.onEvent || terminated) this.endStream(streamId, stream);
      return;
    }
    stream.onEvent?.({ shape, body });
    if (terminated) this.endStream(streamId, stream);
  }

  private endStream(streamId: number, stream: PendingStream, error?: Error): void {
    this.streams.delete(streamId);
    if (!stream.responded)
      stream.reject(error ?? new IpcProtocolError(`${stream.operation}: stream ended unanswered`));
    else stream.onEnd?.(error);
  }

  private shutdown(error: Error): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.socket.destroy();
    const open = [...this.streams];
    this.streams.clear();
    for (const [, stream] of open) {
      if (!stream.responded) stream.reject(error);
      else stream.onEnd?.(error);
    }
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }
}

function parseBody(payload: Buffer): Record<string, unknown> {
  if (payload.length === 0) return {};
  const value: unknown = JSON.parse(payload.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('reply body is not a JSON object');
  }
  return value as Record<string, unknown>;
}
