export { directoryAsyncDestination, memoryAsyncDestination } from './destinations.js';
export { startAsyncInvoker } from './invoker.js';
export type * from './types.js';
