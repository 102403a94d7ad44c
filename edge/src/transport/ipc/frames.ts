import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { IpcProtocolError } from './errors.js';

/** eventstream-RPC message types and flags, as aws-c-event-stream numbers them. */
export const MESSAGE_TYPE = {
  applicationMessage: 0,
  applicationError: 1,
  ping: 2,
  pingResponse: 3,
  connect: 4,
  connectAck: 5,
} as const;

export const MESSAGE_FLAGS = { none: 0, connectionAccepted: 1, terminateStream: 2 } as const;

/** Header names the RPC layer reads and writes. */
export const HEADER = {
  messageType: ':message-type',
  messageFlags: ':message-flags',
  streamId: ':stream-id',
  version: ':version',
  contentType: ':content-type',
  operation: 'operation',
  serviceModelType: 'service-model-type',
} as const;

/** eventstream caps a message at 16 MiB; a larger length prefix means the byte stream is out of step. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** One eventstream-RPC frame with its protocol headers lifted out; other string headers stay in `headers`. */
export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  headers: Record<string, string>;
  payload: Buffer;
}

export type FrameInput = Omit<Frame, 'headers' | 'payload'> & {
  headers?: Record<string, string>;
  payload?: Uint8Array | string;
};

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text) => Buffer.from(text, 'utf8'),
);

export function encodeFrame(frame: FrameInput): Uint8Array {
  const headers: MessageHeaders = {};
  for (const [name, value] of Object.entries(frame.headers ?? {})) headers[name] = { type: 'string', value };
  headers[HEADER.messageType] = { type: 'integer', value: frame.type };
  headers[HEADER.messageFlags] = { type: 'integer', value: frame.flags };
  headers[HEADER.streamId] = { type: 'integer', value: frame.streamId };
  const payload =
    typeof frame.payload === 'string' ? Buffer.from(frame.payload) : (frame.payload ?? new Uint8Array());
  return codec.encode({ headers, body: payload });
}

/**
 * Splits a byte stream into frames by their leading total length. Throws IpcProtocolError on a
 * frame that fails its CRC or claims an impossible length: the connection cannot be trusted after that.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.pending.length >= 4) {
      const total = this.pending.readUInt32BE(0);
      if (total < 16 || total > MAX_FRAME_BYTES) {
        throw new IpcProtocolError(`eventstream frame length ${total} is outside 16..${MAX_FRAME_BYTES}`);
      }
      if (this.pending.length < total) break;
      frames.push(decodeFrame(this.pending.subarray(0, total)));
      this.pending = this.pending.subarray(total);
    }
    return frames;
  }
}

function decodeFrame(bytes: Buffer): Frame {
  let message: ReturnType<typeof codec.decode>;
  try {
    message = codec.decode(bytes);
  } catch (e) {
    throw new IpcProtocolError(`undecodable eventstream frame: ${(e as Error).message}`);
  }
  const headers: Record<string, string> = {};
  let type = -1;
  let flags = 0;
  let streamId = 0;
  for (const [name, header] of Object.entries(message.headers)) {
    if (name === HEADER.messageType) type = Number(header.value);
    else if (name === HEADER.messageFlags) flags = Number(header.value);
    else if (name === HEADER.streamId) streamId = Number(header.value);
    else if (header.type === 'string') headers[name] = header.value;
  }
  if (type < 0) throw new IpcProtocolError(`eventstream frame without ${HEADER.messageType}`);
  const body = message.body;
  return {
    type,
    flags,
    streamId,
    headers,
    payload: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  };
}
