import { type Alert, decodeAlert } from '../../../protocol/index.js';
import { PoisonRecordError } from '../shared/errors.js';
import { asPoison, assertSameTower, ruleOutputOf } from '../shared/records.js';
import type { RuleOutput } from '../shared/types.js';
import { type AlertOutcome, handleAlert } from './transition.js';
import type { NotifierDeps } from './types.js';

/** The event the alert rule's Lambda action sends: the rule output (`RuleOutputDocument`), one alert nested. */
export type RuleActionEvent = Record<string, unknown>;

function readEvent(event: unknown): { output: RuleOutput; alert: Alert } {
  const output = ruleOutputOf(event);
  if (output.messageType !== 'alert') {
    throw new PoisonRecordError(
      `messageType ${JSON.stringify(output.messageType)} is not alert (only the alert rule invokes this function)`,
      'messageType',
    );
  }
  const alert = asPoison(() => decodeAlert(output.payload, true));
  assertSameTower(output, alert.towerId);
  return { output, alert };
}

/**
 * The alert rule's direct invoke. An event that can never be read is logged, counted and dropped,
 * not thrown: Lambda would only retry it, and its copy on the stream is quarantined whole there.
 * Other errors are thrown, so Lambda retries the invoke (the stream copy delivers regardless).
 */
export async function notifyRuleEvent(
  event: unknown,
  deps: NotifierDeps,
): Promise<AlertOutcome | 'rejected'> {
  let read: ReturnType<typeof readEvent>;
  try {
    read = readEvent(event);
  } catch (e) {
    if (!(e instanceof PoisonRecordError)) throw e;
    deps.metrics.count('DirectEventsRejected');
    deps.log.warn('direct alert event rejected; its stream copy is quarantined', {
      reason: e.message,
      field: e.field,
    });
    return 'rejected';
  }
  return handleAlert(deps, read.alert, read.output.receivedAt, 'direct');
}
