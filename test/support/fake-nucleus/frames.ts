import { EventStreamCodec, type Message, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/** eventstream-RPC message types and flags (aws-c-event-stream). */
export const MESSAGE_TYPE = {
  applicationMessage: 0,
  applicationError: 1,
  ping: 2,
  pingResponse: 3,
  connect: 4,
  connectAck: 5,
} as const;
export const FLAGS = { none: 0, connectionAccepted: 1, terminateStream: 2 } as const;

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Splits a byte stream into frames by their leading total length; `decode` takes exactly one frame. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Message[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Message[] = [];
    while (this.pending.length >= 4) {
      const total = this.pending.readUInt32BE(0);
      if (this.pending.length < total) break;
      out.push(codec.decode(this.pending.subarray(0, total)));
      this.pending = this.pending.subarray(total);
    }
    return out;
  }
}

export function encodeFrame(input: {
  type: number;
  flags: number;
  streamId: number;
  shape?: string;
  body?: unknown;
}): Uint8Array {
  const headers: MessageHeaders = {
    ':message-type': { type: 'integer', value: input.type },
    ':message-flags': { type: 'integer', value: input.flags },
    ':stream-id': { type: 'integer', value: input.streamId },
  };
  if (input.shape) {
    headers['service-model-type'] = { type: 'string', value: `aws.greengrass#${input.shape}` };
    headers[':content-type'] = { type: 'string', value: 'application/json' };
  }
  const body = input.body === undefined ? new Uint8Array() : fromUtf8(JSON.stringify(input.body));
  return codec.encode({ headers, body });
}

export function headerValue(message: Message, name: string): unknown {
  return message.headers[name]?.value;
}
