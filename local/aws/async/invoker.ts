import { randomUUID } from 'node:crypto';
import { systemClock } from '../../../cloud/functions/shared/types.js';
import type { AsyncFailureCondition, AsyncInvoker, AsyncInvokerOptions, AsyncInvokeStats } from './types.js';

interface QueuedEvent {
  requestId: string;
  payload: unknown;
  acceptedAt: number;
  invokes: number;
  lastError?: Error;
}

/**
 * Lambda's asynchronous invocation, in this process: `invoke` queues the event and returns; the
 * function runs on its own; a function error is retried up to `maximumRetryAttempts` times with a
 * doubling delay; an event past `maximumEventAgeSeconds` or out of retries goes to the on-failure
 * destination. Why by hand: the emulators that have it (LocalStack) need Docker and another runtime.
 */
export function startAsyncInvoker(options: AsyncInvokerOptions): AsyncInvoker {
  const clock = options.clock ?? systemClock;
  const baseDelayMs = options.retryDelayMs ?? 1000;
  const functionArn = `arn:aws:lambda:${options.region ?? 'local'}:000000000000:function:${options.functionName}:$LATEST`;
  const stats: AsyncInvokeStats = {
    accepted: 0,
    invocations: 0,
    functionErrors: 0,
    succeeded: 0,
    toDestination: 0,
    pending: 0,
  };
  const running = new Set<Promise<void>>();
  const waiting = new Map<QueuedEvent, NodeJS.Timeout>();
  const idleWaiters: (() => void)[] = [];
  let stopped = false;

  const settle = () => {
    stats.pending--;
    if (stats.pending === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const giveUp = async (event: QueuedEvent, condition: AsyncFailureCondition) => {
    stats.toDestination++;
    await options.onFailure?.send({
      version: '1.0',
      timestamp: new Date(clock.now()).toISOString(),
      requestContext: {
        requestId: event.requestId,
        functionArn,
        condition,
        approximateInvokeCount: event.invokes,
      },
      requestPayload: event.payload,
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(event.lastError && { functionError: 'Unhandled' as const }),
      },
      ...(event.lastError && {
        responsePayload: { errorType: event.lastError.name, errorMessage: event.lastError.message },
      }),
    });
  };

  const attempt = async (event: QueuedEvent): Promise<void> => {
    if (clock.now() - event.acceptedAt > options.maximumEventAgeSeconds * 1000) {
      await giveUp(event, 'EventAgeExceeded');
      return settle();
    }
    event.invokes++;
    stats.invocations++;
    try {
      await options.handler(event.payload);
      stats.succeeded++;
      return settle();
    } catch (e) {
      stats.functionErrors++;
      event.lastError = e instanceof Error ? e : new Error(String(e));
    }
    if (event.invokes > options.maximumRetryAttempts) {
      await giveUp(event, 'RetriesExhausted');
      return settle();
    }
    if (stopped) return settle();
    const timer = setTimeout(
      () => {
        waiting.delete(event);
        run(event);
      },
      baseDelayMs * 2 ** (event.invokes - 1),
    );
    waiting.set(event, timer);
  };

  const run = (event: QueuedEvent) => {
    const done = attempt(event)
      .catch(() => settle())
      .finally(() => running.delete(done));
    running.add(done);
  };

  return {
    functionName: options.functionName,
    invoke(payload) {
      if (stopped) throw new Error(`${options.functionName} is stopped: the invoke is not accepted`);
      const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
      let event: unknown;
      try {
        event = JSON.parse(text);
      } catch (e) {
        throw new Error(`InvalidRequestContentException: the event is not JSON (${(e as Error).message})`);
      }
      stats.accepted++;
      stats.pending++;
      // Off the caller's turn: the rule (and the broker behind it) only waits for the 202.
      const queued: QueuedEvent = {
        requestId: randomUUID(),
        payload: event,
        acceptedAt: clock.now(),
        invokes: 0,
      };
      setImmediate(() => (stopped ? settle() : run(queued)));
    },
    stats: () => ({ ...stats }),
    idle() {
      if (stats.pending === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      for (const [event, timer] of waiting) {
        clearTimeout(timer);
        waiting.delete(event);
        settle();
      }
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
