import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLostError } from '../../../edge/src/transport/errors.js';
import {
  encodeFrame,
  EventStreamRpcConnection,
  type Frame,
  FrameReader,
  HEADER,
  IpcAuthError,
  IpcProtocolError,
  IpcServiceError,
  MESSAGE_FLAGS,
  MESSAGE_TYPE,
} from '../../../edge/src/transport/ipc/index.js';
import { tempDir, waitFor } from '../buffer/helpers.js';

type OnFrame = (frame: Frame, socket: Socket) => void;

interface Scripted {
  socketPath: string;
  frames: Frame[];
  sockets: Socket[];
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server that answers the connect handshake (or not) and hands every later frame to the test. */
async function scripted(
  onFrame: OnFrame,
  handshake: 'accept' | 'refuse' | 'silent' = 'accept',
): Promise<Scripted> {
  const t = tempDir('rpc');
  const state: Scripted = { socketPath: join(t.dir, 'ipc.sock'), frames: [], sockets: [] };
  const server: Server = createServer((socket) => {
    state.sockets.push(socket);
    const reader = new FrameReader();
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (const frame of reader.push(chunk)) {
        state.frames.push(frame);
        if (frame.type !== MESSAGE_TYPE.connect) onFrame(frame, socket);
        else if (handshake !== 'silent') {
          const flags = handshake === 'accept' ? MESSAGE_FLAGS.connectionAccepted : MESSAGE_FLAGS.none;
          socket.write(encodeFrame({ type: MESSAGE_TYPE.connectAck, flags, streamId: 0 }));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(state.socketPath, resolve));
  cleanups.push(t.cleanup, () => {
    for (const s of state.sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

function reply(
  socket: Socket,
  streamId: number,
  shape: string,
  body: unknown,
  flags: number = MESSAGE_FLAGS.terminateStream,
) {
  socket.write(
    encodeFrame({
      type: MESSAGE_TYPE.applicationMessage,
      flags,
      streamId,
      headers: { [HEADER.serviceModelType]: `aws.greengrass#${shape}` },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

async function connect(server: Scripted, connectTimeoutMs?: number) {
  const c = await EventStreamRpcConnection.connect({
    socketPath: server.socketPath,
    authToken: 'token',
    ...(connectTimeoutMs && { connectTimeoutMs }),
  });
  cleanups.push(() => c.close());
  return c;
}

describe('EventStreamRpcConnection', () => {
  it('sends the token in the connect message and answers a request', async () => {
    const server = await scripted((f, s) =>
      reply(s, f.streamId, 'GetConfigurationResponse', { value: { a: 1 } }),
    );
    const c = await connect(server);
    const r = await c.request('GetConfiguration', { keyPath: [] });
    expect(r).toEqual({ shape: 'GetConfigurationResponse', body: { value: { a: 1 } } });
    expect(JSON.parse(server.frames[0]!.payload.toString())).toEqual({ authToken: 'token' });
    expect(server.frames[0]!.headers[HEADER.version]).toBe('0.1.0');
  });

  it('fails the handshake with IpcAuthError when the nucleus refuses the token', async () => {
    const server = await scripted(() => {}, 'refuse');
    await expect(connect(server)).rejects.toBeInstanceOf(IpcAuthError);
  });

  it('gives up on a nucleus that never answers the connect message', async () => {
    const server = await scripted(() => {}, 'silent');
    await expect(connect(server, 100)).rejects.toThrow(/no connect reply from the nucleus within 100 ms/);
  });

  it('names the socket when nothing listens there', async () => {
    const t = tempDir('rpc-missing');
    cleanups.push(t.cleanup);
    const socketPath = join(t.dir, 'absent.sock');
    await expect(EventStreamRpcConnection.connect({ socketPath, authToken: 'x' })).rejects.toThrow(
      socketPath,
    );
  });

  it('turns a modelled error into IpcServiceError and keeps the connection usable', async () => {
    const server = await scripted((f, s) => {
      if (f.headers.operation === 'aws.greengrass#PublishToIoTCore') {
        s.write(
          encodeFrame({
            type: MESSAGE_TYPE.applicationError,
            flags: MESSAGE_FLAGS.terminateStream,
            streamId: f.streamId,
            headers: { [HEADER.serviceModelType]: 'aws.greengrass#UnauthorizedError' },
            payload: JSON.stringify({ message: 'not authorized for topic t' }),
          }),
        );
      } else reply(s, f.streamId, 'UpdateStateResponse', {});
    });
    const c = await connect(server);
    const error = await c.request('PublishToIoTCore', { topicName: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpcServiceError);
    expect(error).toMatchObject({
      operation: 'PublishToIoTCore',
      errorType: 'UnauthorizedError',
      detail: 'not authorized for topic t',
    });
    expect((await c.request('UpdateState', { state: 'RUNNING' })).shape).toBe('UpdateStateResponse');
  });

  it('rejects a reply that is not JSON without dropping the connection', async () => {
    let n = 0;
    const server = await scripted((f, s) =>
      reply(s, f.streamId, 'GetConfigurationResponse', n++ === 0 ? '{not json' : { value: 2 }),
    );
    const c = await connect(server);
    await expect(c.request('GetConfiguration', {})).rejects.toBeInstanceOf(IpcProtocolError);
    expect((await c.request('GetConfiguration', {})).body).toEqual({ value: 2 });
    expect(c.closed).toBe(false);
  });

  it('answers a ping from the nucleus', async () => {
    const server = await scripted(() => {});
    await connect(server);
    server.sockets[0]!.write(encodeFrame({ type: MESSAGE_TYPE.ping, flags: 0, streamId: 0 }));
    await waitFor(() => server.frames.some((f) => f.type === MESSAGE_TYPE.pingResponse), 'the ping response');
  });

  it('delivers stream events in order, ends once on terminate, and ignores frames after the end', async () => {
    let streamId = 0;
    const server = await scripted((f, s) => {
      if (f.headers.operation === 'aws.greengrass#SubscribeToTopic') {
        streamId = f.streamId;
        reply(s, f.streamId, 'SubscribeToTopicResponse', {}, MESSAGE_FLAGS.none);
      } else reply(s, f.streamId, 'GetConfigurationResponse', {});
    });
    const c = await connect(server);
    const events: unknown[] = [];
    const ends: (Error | undefined)[] = [];
    await c.openStream(
      'SubscribeToTopic',
      { topic: 't' },
      (e) => events.push(e.body),
      (e) => ends.push(e),
    );
    const s = server.sockets[0]!;
    reply(s, streamId, 'SubscriptionResponseMessage', { n: 1 }, MESSAGE_FLAGS.none);
    reply(s, streamId, 'SubscriptionResponseMessage', { n: 2 }, MESSAGE_FLAGS.terminateStream);
    reply(s, streamId, 'SubscriptionResponseMessage', { n: 3 }, MESSAGE_FLAGS.none);
    // The socket keeps order: once this reply is in, the late event before it has been handled.
    await c.request('GetConfiguration', {});
    expect(events).toEqual([{ n: 1 }, { n: 2 }]);
    expect(ends).toEqual([undefined]);
  });

  it('closes a stream with a terminate frame and stops delivering its events', async () => {
    let streamId = 0;
    const server = await scripted((f, s) => {
      if (f.headers.operation) {
        streamId = f.streamId;
        reply(s, f.streamId, 'SubscribeToIoTCoreResponse', {}, MESSAGE_FLAGS.none);
      }
    });
    const c = await connect(server);
    const events: unknown[] = [];
    const stream = await c.openStream('SubscribeToIoTCore', { topicName: 't' }, (e) => events.push(e.body));
    stream.close();
    await waitFor(
      () => server.frames.some((f) => f.flags === MESSAGE_FLAGS.terminateStream),
      'the terminate frame',
    );
    const terminate = server.frames.at(-1)!;
    expect(terminate).toMatchObject({ type: MESSAGE_TYPE.applicationMessage, streamId, headers: {} });
    reply(server.sockets[0]!, streamId, 'IoTCoreMessage', { late: true }, MESSAGE_FLAGS.none);
    await c.request('GetConfiguration', {}).catch(() => {});
    expect(events).toEqual([]);
  });

  it('when the nucleus goes away: rejects requests in flight, ends open streams, and reports the close once', async () => {
    const server = await scripted((f, s) => {
      if (f.headers.operation === 'aws.greengrass#SubscribeToIoTCore')
        reply(s, f.streamId, 'SubscribeToIoTCoreResponse', {}, MESSAGE_FLAGS.none);
      // PublishToIoTCore stays unanswered, as when the nucleus restarts mid-request.
    });
    const c = await connect(server);
    const ends: (Error | undefined)[] = [];
    await c.openStream(
      'SubscribeToIoTCore',
      { topicName: 't' },
      () => {},
      (e) => ends.push(e),
    );
    const closes: Error[] = [];
    c.onClose((e) => closes.push(e));
    const inFlight = c.request('PublishToIoTCore', { topicName: 't' });
    await waitFor(() => server.frames.length === 3, 'the publish to reach the nucleus');
    server.sockets[0]!.destroy();
    await expect(inFlight).rejects.toBeInstanceOf(ConnectionLostError);
    await waitFor(() => closes.length === 1, 'the close');
    expect(ends).toHaveLength(1);
    expect(ends[0]).toBeInstanceOf(ConnectionLostError);
    await expect(c.request('UpdateState', {})).rejects.toBeInstanceOf(ConnectionLostError);
    expect(closes).toHaveLength(1);
  });

  it('closes the connection on bytes that are not eventstream frames', async () => {
    const server = await scripted(() => {});
    const c = await connect(server);
    const closes: Error[] = [];
    c.onClose((e) => closes.push(e));
    const pending = c.request('GetConfiguration', {});
    server.sockets[0]!.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await expect(pending).rejects.toBeInstanceOf(IpcProtocolError);
    expect(closes[0]).toBeInstanceOf(IpcProtocolError);
    expect(c.closed).toBe(true);
  });
});
