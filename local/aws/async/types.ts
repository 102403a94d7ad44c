import type { AsyncInvokeSettings } from '../../../cloud/data/tables.js';
import type { Clock } from '../../../cloud/functions/shared/types.js';

/** A function as Lambda runs it for an `Event` invoke: the result is ignored, a throw is a function error. */
export type AsyncFunction = (event: unknown) => Promise<unknown>;

export type AsyncFailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/** What Lambda sends an asynchronous invocation's on-failure destination. */
export interface AsyncFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: AsyncFailureCondition;
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: '$LATEST'; functionError?: 'Unhandled' };
  responsePayload?: { errorType: string; errorMessage: string };
}

export interface AsyncFailureDestination {
  send(failure: AsyncFailureRecord): Promise<void>;
}

export interface AsyncInvokerOptions extends AsyncInvokeSettings {
  functionName: string;
  handler: AsyncFunction;
  onFailure?: AsyncFailureDestination;
  /** Event age is measured on this clock. */
  clock?: Clock;
  /**
   * Wait before the first retry, doubled for each further one (real time). Lambda waits about a
   * minute, then two; locally a second, then two, so a run shows the retries without the wait.
   */
  retryDelayMs?: number;
  region?: string;
}

export interface AsyncInvokeStats {
  /** Events accepted (the 202 of an `Event` invoke). */
  accepted: number;
  invocations: number;
  functionErrors: number;
  /** Events the function completed without error. */
  succeeded: number;
  toDestination: number;
  /** Events accepted and not yet completed or handed to the destination. */
  pending: number;
}

export interface AsyncInvoker {
  readonly functionName: string;
  /**
   * Accepts one event and returns at once; the function runs later, off the caller's path.
   * Throws, as Lambda's Invoke API does, when the payload is not JSON or the invoker is stopped.
   */
  invoke(payload: Uint8Array | string): void;
  stats(): AsyncInvokeStats;
  /** Resolves once no event is running or waiting for a retry. */
  idle(): Promise<void>;
  /** Stops accepting, drops events waiting for a retry (their stream copies deliver them) and waits for running ones. */
  stop(): Promise<void>;
}
