import { type KinesisHandler, kinesisPartialBatchHandler } from '../shared/handler.js';
import { writeTelemetry } from './core.js';
import type { WriterDeps } from './types.js';

export function createWriterHandler(deps: WriterDeps): KinesisHandler {
  return kinesisPartialBatchHandler((records) => writeTelemetry(records, deps), deps.metrics);
}
