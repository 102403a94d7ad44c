import { crc32c } from '@aws-crypto/crc32c';
import type { AppendInput } from './types.js';

/**
 * On-disk record frame. The CRC32C covers the body (metadata and payload), so a torn write or a
 * flipped bit anywhere, including a wrong length, fails the check; the magic lets a reader find the
 * next frame after a damaged one.
 *
 *   magic u16 | bodyLength u32 | crc32c(body) u32 | body: appendedAt f64 | count u32 | seq f64 | payload
 */
export const FRAME = {
  magic: 0x5457,
  headerBytes: 10,
  metaBytes: 20,
  /** Far above the 128 KB payload limit; a larger length is damage, not data. */
  maxBodyBytes: 1024 * 1024,
} as const;

export interface DecodedFrame {
  /** Offset of the frame inside the scanned buffer. */
  at: number;
  /** Total frame bytes. */
  bytes: number;
  appendedAt: number;
  count: number;
  seq: number;
  payload: Buffer;
}

export function encodeFrame(input: AppendInput, appendedAt: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME.headerBytes + FRAME.metaBytes + input.payload.length);
  frame.writeUInt16BE(FRAME.magic, 0);
  frame.writeUInt32BE(FRAME.metaBytes + input.payload.length, 2);
  frame.writeDoubleBE(appendedAt, 10);
  frame.writeUInt32BE(input.count, 18);
  frame.writeDoubleBE(input.seq, 22);
  input.payload.copy(frame, FRAME.headerBytes + FRAME.metaBytes);
  frame.writeUInt32BE(crc32c(frame.subarray(FRAME.headerBytes)), 6);
  return frame;
}

export type FrameResult =
  | { kind: 'frame'; frame: DecodedFrame }
  /** Not enough bytes in the buffer to tell: read more (or, at the end of a file, a torn tail). */
  | { kind: 'short' }
  | { kind: 'bad' };

/** Decodes the frame at `at`. Pure: never throws on damaged bytes. */
export function decodeFrameAt(buf: Buffer, at: number): FrameResult {
  if (buf.length - at < FRAME.headerBytes) return { kind: 'short' };
  if (buf.readUInt16BE(at) !== FRAME.magic) return { kind: 'bad' };
  const bodyLength = buf.readUInt32BE(at + 2);
  if (bodyLength < FRAME.metaBytes || bodyLength > FRAME.maxBodyBytes) return { kind: 'bad' };
  const end = at + FRAME.headerBytes + bodyLength;
  if (end > buf.length) return { kind: 'short' };
  const body = buf.subarray(at + FRAME.headerBytes, end);
  if (crc32c(body) !== buf.readUInt32BE(at + 6)) return { kind: 'bad' };
  return {
    kind: 'frame',
    frame: {
      at,
      bytes: end - at,
      appendedAt: body.readDoubleBE(0),
      count: body.readUInt32BE(8),
      seq: body.readDoubleBE(12),
      payload: body.subarray(FRAME.metaBytes),
    },
  };
}

/** Finds the next offset after `from` where a whole valid frame starts, or -1. */
export function resync(buf: Buffer, from: number): number {
  const magicHi = FRAME.magic >> 8;
  for (let i = buf.indexOf(magicHi, from + 1); i !== -1; i = buf.indexOf(magicHi, i + 1)) {
    if (decodeFrameAt(buf, i).kind === 'frame') return i;
  }
  return -1;
}
