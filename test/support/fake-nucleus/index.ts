export { encodeFrame, FLAGS, FrameReader, MESSAGE_TYPE } from './frames.js';
export { FakeNucleus } from './nucleus.js';
export type { InjectedError, RecordedPublish, ShadowRecord } from './types.js';
