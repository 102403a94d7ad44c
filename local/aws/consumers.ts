import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { Logger } from '@aws-lambda-powertools/logger';
import { ENV, type EventSourceSettings, FUNCTIONS, TABLE } from '../../cloud/data/tables.js';
import { readNotifierConfig } from '../../cloud/functions/alert-notifier/config.js';
import { createNotifierHandler, createSweepHandler } from '../../cloud/functions/alert-notifier/handler.js';
import type { SweepResult } from '../../cloud/functions/alert-notifier/sweep.js';
import { readWriterConfig } from '../../cloud/functions/telemetry-writer/config.js';
import { createWriterHandler } from '../../cloud/functions/telemetry-writer/handler.js';
import { readTwinConfig } from '../../cloud/functions/twin-updater/config.js';
import { createTwinHandler } from '../../cloud/functions/twin-updater/handler.js';
import type { RuleTargetFunction } from '../../protocol/index.js';
import {
  type AsyncFailureDestination,
  type AsyncInvoker,
  type AsyncInvokeStats,
  directoryAsyncDestination,
  memoryAsyncDestination,
  startAsyncInvoker,
} from './async/index.js';
import { ALERT_TOPIC_NAME, localClientConfig } from './clients.js';
import {
  directoryDestination,
  type EventSourceMapping,
  type FailureDestination,
  fileCheckpoints,
  type MappingStats,
  memoryDestination,
  startEventSourceMapping,
} from './esm/index.js';
import { counterMetrics } from './metrics.js';
import { primeNotifier } from './prime.js';
import type { LocalAws } from './types.js';

/** What the consumers need of a LocalAws: its clients, clock and state folder (a worker thread builds one from endpoints). */
export type ConsumerAws = Pick<LocalAws, 'clients' | 'clock' | 'stateDir' | 'createResources'> & {
  sns: Pick<LocalAws['sns'], 'topicArn'>;
};

/**
 * Which invocations run here: `stream` the three event source mappings, `direct` the alert rule's
 * asynchronous invoke of alert-notifier and its sweep, `all` both. The local stack runs the stream
 * mappings in a worker thread and keeps `direct` on the broker's loop (see consumers-worker.ts).
 */
export type ConsumerPart = 'all' | 'stream' | 'direct';

/** Each function's event source mapping as the CDK app deploys it. */
const MAPPING_SETTINGS = {
  'telemetry-writer': FUNCTIONS.telemetryWriter.eventSource,
  'twin-updater': FUNCTIONS.twinUpdater.eventSource,
  'alert-notifier': FUNCTIONS.alertNotifier.eventSource,
} as const;

export interface StartConsumersOptions {
  aws: ConsumerAws;
  /** Default `all`. */
  part?: ConsumerPart;
  /** Where a mapping's given-up batches go (default: `<stateDir>/failures/<function>/`, or in memory). */
  failureDestination?: (functionName: string) => FailureDestination;
  streamName: string;
  /** Shards when the stream does not exist yet (an existing stream is used as it is). */
  shardCount?: number;
  tableName?: string;
  /** Local IoT Core data-plane endpoint for twin-updater; without it (and without `iot`) the twin is not kept. */
  iotDataEndpoint?: string;
  iot?: IoTDataPlaneClient;
  /** Values for the functions' environment variables (names from `ENV`), e.g. a short offline grace. */
  env?: Partial<Record<(typeof ENV)[keyof typeof ENV], string>>;
  /** Event source mapping overrides for all three (defaults: the production settings). */
  mapping?: Partial<EventSourceSettings> & { pollIntervalMs?: number; retryDelayMs?: number };
  /** First retry delay of the functions' asynchronous invokes (real time; default 1 s, then doubled). */
  asyncRetryDelayMs?: number;
  /** Real-time period of the sweep; 0 disables the timer (call `sweep()`). Default one minute. */
  sweepIntervalMs?: number;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

export interface ConsumerStats {
  mappings: Record<string, MappingStats>;
  /** Direct (`Event`) invokes per function, e.g. the alert rule's; counted apart from the stream's batches. */
  asyncInvokes: Record<string, AsyncInvokeStats>;
  /** Per function, whichever path invoked it (one function, one set of metrics, as in CloudWatch). */
  metrics: Record<string, Record<string, number>>;
}

export interface Consumers {
  stats(): ConsumerStats;
  /** Runs the alert sweep now. */
  sweep(): Promise<SweepResult>;
  /** Batches given up on (on-failure destination), per function. */
  failures: Record<string, FailureDestination>;
  /** Direct invokes given up on, per function (`<stateDir>/failures/<function>/async/`). */
  asyncFailures: Partial<Record<RuleTargetFunction, AsyncFailureDestination>>;
  /**
   * An IoT rule's Lambda action: queues the rule output for the function and returns (throws when
   * the function does not run here or the payload is not JSON, which fails the rule action).
   */
  invokeAsync(functionName: RuleTargetFunction, event: Uint8Array): void;
  /** Resolves once no direct invoke is running or waiting for a retry. */
  asyncIdle(): Promise<void>;
  /** Enables or disables one function's event source mapping (its stream position is kept); see `setEnabled`. */
  setMappingEnabled(functionName: string, enabled: boolean): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The three consumers on a LocalAws stream, each behind its own event source mapping, built from the
 * same environment variables (`ENV`) the CDK app sets — so `npm start` and the e2e tests run the
 * real handlers with real SDK clients against kinesalite, dynalite, the SNS sink and local IoT Core.
 */
export async function startConsumers(options: StartConsumersOptions): Promise<Consumers> {
  const { aws } = options;
  const resources = await aws.createResources({
    streamName: options.streamName,
    shardCount: options.shardCount ?? 1,
    tableName: options.tableName ?? TABLE.localName,
  });
  const env: Record<string, string | undefined> = {
    [ENV.tableName]: resources.tableName,
    [ENV.alertTopicArn]: aws.sns.topicArn(ALERT_TOPIC_NAME),
    ...(options.iotDataEndpoint && { [ENV.iotDataEndpoint]: options.iotDataEndpoint }),
    ...options.env,
  };
  const logger = (serviceName: string) => new Logger({ serviceName, logLevel: options.logLevel ?? 'WARN' });
  const base = { doc: aws.clients.doc, clock: aws.clock };

  const writerMetrics = counterMetrics();
  const twinMetrics = counterMetrics();
  const notifierMetrics = counterMetrics();
  const notifierDeps = {
    ...readNotifierConfig(env),
    ...base,
    sns: aws.clients.sns,
    metrics: notifierMetrics,
    log: logger('alert-notifier'),
  };
  const notifierHandler = createNotifierHandler(notifierDeps);
  const part = options.part ?? 'all';
  const streams = part !== 'direct';
  const direct = part !== 'stream';
  const twinConfig = readTwinConfig(env);
  const iot =
    options.iot ??
    (streams && twinConfig.iotDataEndpoint
      ? new IoTDataPlaneClient(localClientConfig(twinConfig.iotDataEndpoint))
      : undefined);
  const handlers: Record<string, Parameters<typeof startEventSourceMapping>[0]['handler']> = {};
  if (streams) {
    handlers['telemetry-writer'] = createWriterHandler({
      ...readWriterConfig(env),
      ...base,
      ...(iot && { iot }),
      metrics: writerMetrics,
      log: logger('telemetry-writer'),
    });
    handlers['alert-notifier'] = notifierHandler;
  }
  if (streams && iot) {
    handlers['twin-updater'] = createTwinHandler({
      ...twinConfig,
      ...base,
      iot,
      metrics: twinMetrics,
      log: logger('twin-updater'),
      cache: new Map(),
    });
  }

  // Both paths run alert-notifier: each warms its own clients before its first alert (Lambda's init).
  await primeNotifier(notifierDeps);
  const failures: Record<string, FailureDestination> = {};
  const mappings: EventSourceMapping[] = [];
  for (const [functionName, handler] of Object.entries(handlers)) {
    let checkpoints: ReturnType<typeof fileCheckpoints> | undefined;
    if (aws.stateDir) {
      const dir = join(aws.stateDir, 'esm');
      mkdirSync(dir, { recursive: true });
      checkpoints = fileCheckpoints(join(dir, `${functionName}.json`));
    }
    failures[functionName] =
      options.failureDestination?.(functionName) ??
      (aws.stateDir
        ? directoryDestination(join(aws.stateDir, 'failures', functionName))
        : memoryDestination());
    mappings.push(
      await startEventSourceMapping({
        kinesis: aws.clients.kinesis,
        streamName: resources.streamName,
        streamArn: resources.streamArn,
        functionName,
        handler,
        clock: aws.clock,
        onFailure: failures[functionName]!,
        ...MAPPING_SETTINGS[functionName as keyof typeof MAPPING_SETTINGS],
        ...options.mapping,
        ...(checkpoints && { checkpoints }),
      }),
    );
  }

  // The alert rule invokes alert-notifier directly too; the same handler takes both event shapes.
  const asyncFailures: Consumers['asyncFailures'] = {};
  const invokers: Partial<Record<RuleTargetFunction, AsyncInvoker>> = {};
  if (direct) {
    const notifierFailures = aws.stateDir
      ? directoryAsyncDestination(join(aws.stateDir, 'failures', 'alert-notifier', 'async'))
      : memoryAsyncDestination();
    asyncFailures['alert-notifier'] = notifierFailures;
    invokers['alert-notifier'] = startAsyncInvoker({
      functionName: 'alert-notifier',
      handler: (event) => notifierHandler(event as Record<string, unknown>),
      ...FUNCTIONS.alertNotifier.asyncInvoke,
      onFailure: notifierFailures,
      clock: aws.clock,
      ...(options.asyncRetryDelayMs !== undefined && { retryDelayMs: options.asyncRetryDelayMs }),
    });
  }

  const sweepHandler = createSweepHandler(notifierDeps);
  const sweepEvery = direct ? (options.sweepIntervalMs ?? 60_000) : 0;
  const timer =
    sweepEvery > 0
      ? setInterval(() => {
          sweepHandler().catch((e: Error) => notifierDeps.log.error('sweep failed', { error: e.message }));
        }, sweepEvery)
      : undefined;
  timer?.unref();

  return {
    failures,
    asyncFailures,
    sweep: sweepHandler,
    invokeAsync(functionName, event) {
      const invoker = invokers[functionName];
      if (!invoker) throw new Error(`ResourceNotFoundException: function ${functionName} does not run here`);
      invoker.invoke(event);
    },
    asyncIdle: async () => {
      await Promise.all(Object.values(invokers).map((i) => i.idle()));
    },
    setMappingEnabled(functionName, enabled) {
      const mapping = mappings.find((m) => m.functionName === functionName);
      if (!mapping) throw new Error(`no event source mapping for ${functionName}`);
      return mapping.setEnabled(enabled);
    },
    stats: () => ({
      mappings: Object.fromEntries(mappings.map((m) => [m.functionName, m.stats()])),
      asyncInvokes: Object.fromEntries(Object.values(invokers).map((i) => [i.functionName, i.stats()])),
      metrics: {
        'telemetry-writer': { ...writerMetrics.totals },
        'twin-updater': { ...twinMetrics.totals },
        'alert-notifier': { ...notifierMetrics.totals },
      },
    }),
    async stop() {
      if (timer) clearInterval(timer);
      await Promise.all(Object.values(invokers).map((i) => i.stop()));
      await Promise.all(mappings.map((m) => m.stop()));
      if (!options.iot) iot?.destroy();
    },
  };
}
