export { openRollupStore } from './store.js';
export type { RollupStore } from './types.js';
