import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AsyncInvoker,
  type AsyncInvokerOptions,
  directoryAsyncDestination,
  memoryAsyncDestination,
  startAsyncInvoker,
} from '../../../local/aws/async/index.js';
import { manualClock, waitFor } from './helpers.js';

const invokers: AsyncInvoker[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(invokers.splice(0).map((i) => i.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function start(options: Partial<AsyncInvokerOptions> & Pick<AsyncInvokerOptions, 'handler'>) {
  const invoker = startAsyncInvoker({
    functionName: 'alert-notifier',
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 300,
    retryDelayMs: 5,
    ...options,
  });
  invokers.push(invoker);
  return invoker;
}

describe('local asynchronous invoke (the IoT rule Lambda action)', () => {
  it('accepts the event and returns before the function runs', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: unknown[] = [];
    const invoker = start({
      handler: async (event) => {
        await gate;
        seen.push(event);
      },
    });
    invoker.invoke(Buffer.from('{"alertId":"a-1"}'));
    expect(invoker.stats()).toMatchObject({ accepted: 1, pending: 1, succeeded: 0 });
    expect(seen).toEqual([]);
    release();
    await invoker.idle();
    expect(seen).toEqual([{ alertId: 'a-1' }]);
    expect(invoker.stats()).toMatchObject({ accepted: 1, invocations: 1, succeeded: 1, pending: 0 });
  });

  it('retries a function error twice, then hands the event to the on-failure destination', async () => {
    const destination = memoryAsyncDestination();
    let calls = 0;
    const invoker = start({
      handler: async () => {
        calls++;
        throw Object.assign(new Error('SNS unavailable'), { name: 'InternalErrorException' });
      },
      onFailure: destination,
    });
    invoker.invoke('{"alertId":"a-1"}');
    await invoker.idle();
    expect(calls).toBe(3);
    expect(destination.failures).toHaveLength(1);
    expect(destination.failures[0]).toMatchObject({
      version: '1.0',
      requestContext: {
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
        functionArn: 'arn:aws:lambda:local:000000000000:function:alert-notifier:$LATEST',
      },
      requestPayload: { alertId: 'a-1' },
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'InternalErrorException', errorMessage: 'SNS unavailable' },
    });
    expect(invoker.stats()).toMatchObject({
      invocations: 3,
      functionErrors: 3,
      toDestination: 1,
      pending: 0,
    });
  });

  it('stops retrying once the function succeeds', async () => {
    const destination = memoryAsyncDestination();
    let calls = 0;
    const invoker = start({
      handler: async () => {
        if (++calls < 2) throw new Error('transient');
      },
      onFailure: destination,
    });
    invoker.invoke('{}');
    await invoker.idle();
    expect(calls).toBe(2);
    expect(destination.failures).toEqual([]);
    expect(invoker.stats()).toMatchObject({ succeeded: 1, functionErrors: 1, toDestination: 0 });
  });

  it('gives up on an event older than the maximum event age instead of retrying it', async () => {
    const clock = manualClock(Date.UTC(2026, 10, 23, 12));
    const destination = memoryAsyncDestination();
    let calls = 0;
    const invoker = start({
      clock,
      maximumEventAgeSeconds: 60,
      handler: async () => {
        calls++;
        clock.advance(61_000);
        throw new Error('slow and failing');
      },
      onFailure: destination,
    });
    invoker.invoke('{}');
    await invoker.idle();
    expect(calls).toBe(1);
    expect(destination.failures.map((f) => f.requestContext.condition)).toEqual(['EventAgeExceeded']);
  });

  it('refuses a payload that is not JSON, as the Invoke API does (the rule action fails)', () => {
    const invoker = start({ handler: async () => {} });
    expect(() => invoker.invoke('not json')).toThrow(/InvalidRequestContentException/);
    expect(invoker.stats().accepted).toBe(0);
  });

  it('refuses events once stopped and drops those waiting for a retry', async () => {
    let calls = 0;
    const invoker = start({
      retryDelayMs: 60_000,
      handler: async () => {
        calls++;
        throw new Error('down');
      },
    });
    invoker.invoke('{}');
    await waitFor(() => calls === 1, 'the first attempt');
    await invoker.stop();
    expect(invoker.stats().pending).toBe(0);
    await invoker.idle();
    expect(() => invoker.invoke('{}')).toThrow(/stopped/);
  });

  it('writes each failed event as one JSON file in the local failure directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'towerwatch-async-failures-'));
    dirs.push(dir);
    const invoker = start({
      maximumRetryAttempts: 0,
      handler: async () => {
        throw new Error('down');
      },
      onFailure: directoryAsyncDestination(join(dir, 'async')),
    });
    invoker.invoke('{"alertId":"a-9"}');
    await invoker.idle();
    const files = readdirSync(join(dir, 'async'));
    expect(files).toHaveLength(1);
    const record = JSON.parse(readFileSync(join(dir, 'async', files[0]!), 'utf8'));
    expect(record.requestPayload).toEqual({ alertId: 'a-9' });
    expect(record.requestContext.approximateInvokeCount).toBe(1);
  });
});
