import { type KinesisHandler, kinesisPartialBatchHandler } from '../shared/handler.js';
import { updateTwins } from './core.js';
import type { TwinDeps } from './types.js';

export function createTwinHandler(deps: TwinDeps): KinesisHandler {
  return kinesisPartialBatchHandler((records) => updateTwins(records, deps), deps.metrics);
}
