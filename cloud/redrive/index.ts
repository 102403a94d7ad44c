export { type Recovery, recover } from './recover.js';
export { redrive } from './redrive.js';
export * from './types.js';
