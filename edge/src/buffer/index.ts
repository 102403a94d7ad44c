export { AlertLane } from './alert-lane.js';
export { BufferError, isStorageUnavailable, StorageWriteError } from './errors.js';
export { MemoryLane } from './memory-lane.js';
export { decodeFrameAt, encodeFrame, FRAME } from './frame.js';
export { DurableBuffer } from './durable-buffer.js';
export { Lane } from './lane.js';
export { PersistedSequence, SEQ_RESERVATION } from './sequence.js';
export { listSegments, segmentPath } from './segment-files.js';
export * from './types.js';
