import { type Consumers, type StartConsumersOptions, startConsumers } from './consumers.js';
import { type StreamConsumersInWorkerOptions, startStreamConsumersInWorker } from './consumers-worker.js';
import type { Archiver } from '../archive/index.js';
import type { LocalAws } from './types.js';
import type { WorkerArchiveOptions } from './worker-archive.js';

export interface SplitConsumersOptions
  extends Omit<StartConsumersOptions, 'aws' | 'part' | 'failureDestination' | 'iot'> {
  aws: LocalAws;
  /** Nice value of the stream consumers' worker thread (default 5; 0 keeps the caller's). */
  streamNiceness?: number;
  /** Run the archive (local Firehose) beside the event source mappings, off this loop too. */
  archive?: WorkerArchiveOptions;
  onError?: (error: Error) => void;
}

export interface SplitConsumers extends Consumers {
  /** With `archive`: stop it before `stop()` (its last flush runs the listeners here). */
  readonly archive?: Archiver;
}

function sumMetrics(
  a: Record<string, Record<string, number>>,
  b: Record<string, Record<string, number>>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const fn of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const totals: Record<string, number> = { ...a[fn] };
    for (const [name, n] of Object.entries(b[fn] ?? {})) totals[name] = (totals[name] ?? 0) + n;
    out[fn] = totals;
  }
  return out;
}

/**
 * The consumers as the local stack runs them: the alert rule's direct invoke of alert-notifier
 * (and its sweep) on this thread, next to the broker, so an alert waits for no telemetry batch;
 * the three event source mappings in a worker thread at a lower priority. One `Consumers`, one set
 * of metrics per function whichever path ran it, as in CloudWatch.
 */
export async function startSplitConsumers(options: SplitConsumersOptions): Promise<SplitConsumers> {
  const { aws, streamNiceness = 5, onError, archive, ...rest } = options;
  const direct = await startConsumers({ ...rest, aws, part: 'direct' });
  const workerOptions: StreamConsumersInWorkerOptions = {
    endpoints: { kinesis: aws.kinesisEndpoint, dynamodb: aws.dynamodbEndpoint, sns: aws.snsEndpoint },
    streamName: rest.streamName,
    niceness: streamNiceness,
    ...(aws.stateDir && { stateDir: aws.stateDir }),
    ...(rest.shardCount !== undefined && { shardCount: rest.shardCount }),
    ...(rest.tableName && { tableName: rest.tableName }),
    ...(rest.iotDataEndpoint && { iotDataEndpoint: rest.iotDataEndpoint }),
    ...(rest.env && { env: rest.env }),
    ...(rest.mapping && { mapping: rest.mapping }),
    ...(rest.logLevel && { logLevel: rest.logLevel }),
    ...(onError && { onError }),
    ...(archive && { archive }),
  };
  const streams = await startStreamConsumersInWorker(workerOptions).catch(async (e: Error) => {
    await direct.stop();
    throw e;
  });
  return {
    ...(streams.archive && { archive: streams.archive }),
    failures: streams.failures,
    asyncFailures: direct.asyncFailures,
    sweep: direct.sweep,
    invokeAsync: direct.invokeAsync,
    asyncIdle: direct.asyncIdle,
    setMappingEnabled: streams.setMappingEnabled,
    stats() {
      const here = direct.stats();
      const there = streams.stats();
      return {
        mappings: there.mappings,
        asyncInvokes: here.asyncInvokes,
        metrics: sumMetrics(here.metrics, there.metrics),
      };
    },
    async stop() {
      await direct.stop();
      await streams.archive?.stop();
      await streams.stop();
    },
  };
}
