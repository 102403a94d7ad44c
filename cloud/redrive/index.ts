export { type Recovery, recover } from './recover.js';
export { redrive } from './redrive.js';
export * from './types.js';
export { KinesisStreamReader, KinesisStreamWriter, REDRIVEN_PREFIX, S3FailureStore } from './aws.js';
