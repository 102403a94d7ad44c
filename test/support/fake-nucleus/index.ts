export { FakeNucleus } from './nucleus.js';
export type { InjectedError, ReceivedFrame, RecordedPublish, ShadowRecord } from './types.js';
