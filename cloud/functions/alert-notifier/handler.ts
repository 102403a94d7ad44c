import { type KinesisHandler, kinesisPartialBatchHandler } from '../shared/handler.js';
import { notifyAlerts } from './core.js';
import { type SweepResult, sweep } from './sweep.js';
import type { NotifierDeps } from './types.js';

export function createNotifierHandler(deps: NotifierDeps): KinesisHandler {
  return kinesisPartialBatchHandler((records) => notifyAlerts(records, deps), deps.metrics);
}

export function createSweepHandler(deps: NotifierDeps): () => Promise<SweepResult> {
  return async () => {
    try {
      return await sweep(deps);
    } finally {
      deps.metrics.flush?.();
    }
  };
}
