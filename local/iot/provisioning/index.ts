export * from './control.js';
export * from './jitp.js';
export * from './registrar.js';
export * from './store.js';
export * from './types.js';
