import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { kinesisPartialBatchHandler } from '../shared/handler.js';
import { notifyAlerts } from './core.js';
import { notifyRuleEvent, type RuleActionEvent } from './direct.js';
import { type SweepResult, sweep } from './sweep.js';
import type { NotifierDeps } from './types.js';

export type NotifierEvent = KinesisStreamEvent | RuleActionEvent;
export type NotifierHandler = (
  event: NotifierEvent,
  context?: Context,
) => Promise<KinesisStreamBatchResponse | undefined>;

const isStreamBatch = (event: NotifierEvent): event is KinesisStreamEvent =>
  typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);

/**
 * One function, two event sources: the event source mapping's Kinesis batches (partial batch
 * response) and the alert rule's asynchronous invoke with one alert (nothing to return).
 */
export function createNotifierHandler(deps: NotifierDeps): NotifierHandler {
  const fromStream = kinesisPartialBatchHandler((records) => notifyAlerts(records, deps), deps.metrics);
  return async (event, context) => {
    if (isStreamBatch(event)) return fromStream(event, context);
    try {
      await notifyRuleEvent(event, deps);
    } finally {
      deps.metrics.flush?.();
    }
    return undefined;
  };
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
