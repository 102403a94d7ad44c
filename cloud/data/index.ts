export * from './keys.js';
export * from './readings.js';
export * from './tables.js';
export * from './telemetry-items.js';
export * from './types.js';
