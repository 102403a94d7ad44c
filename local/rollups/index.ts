export { openRollupStore } from './store.js';
export type { RollupQuery, RollupStore } from './types.js';
