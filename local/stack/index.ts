import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { setConfig } from '../../cloud/cli/config.js';
import type { Consumers } from '../aws/consumers.js';
import { localClientConfig } from '../aws/clients.js';
import { startLocalAws } from '../aws/index.js';
import { startSplitConsumers } from '../aws/split-consumers.js';
import {
  type KinesisRecord,
  type KinesisSink,
  type RuleErrorPayload,
  startKinesisSinkInWorker,
  startLocalIot,
} from '../iot/index.js';
import { type Archiver, archiveDir } from '../archive/index.js';
import { openRollupStore, type RollupStore } from '../rollups/index.js';
import { rulesWithLiveView } from './iot-rules.js';
import { startStatusServer } from '../status/server.js';
import { scheduleAnomalies } from './anomalies.js';
import { startChaos } from './chaos.js';
import { LocalFleet } from './fleet.js';
import { FleetView, type PipelineProbe } from './fleet-view.js';
import { STACK_DEFAULTS, STREAM_NAME, type Stack, type StackOptions } from './types.js';

export { STACK_DEFAULTS, STREAM_NAME, type Stack, type StackOptions } from './types.js';
export { LocalFleet, towerIds } from './fleet.js';
export { FleetView } from './fleet-view.js';

function probeOf(consumers: () => Consumers | undefined, fleet: LocalFleet): PipelineProbe {
  const metric = (fn: string, name: string) => consumers()?.stats().metrics[fn]?.[name] ?? 0;
  return {
    readingsStored: () => metric('telemetry-writer', 'ReadingsWritten'),
    quarantined: () =>
      metric('telemetry-writer', 'RecordsQuarantined') +
      metric('alert-notifier', 'RecordsQuarantined') +
      metric('twin-updater', 'RecordsQuarantined'),
    alertsSuppressed: () => metric('alert-notifier', 'AlertsSuppressed'),
    streamLagMs: () => consumers()?.stats().mappings['telemetry-writer']?.iteratorAgeMs ?? 0,
    backlogMessages: () => fleet.running().reduce((n, t) => n + t.stats().buffer.depthMessages, 0),
  };
}

function lossy(sink: KinesisSink, drop?: (record: KinesisRecord) => boolean): KinesisSink {
  if (!drop) return sink;
  return { putRecord: (record) => (drop(record) ? Promise.resolve() : sink.putRecord(record)) };
}

/**
 * The whole system on this machine: certificates (once), local IoT Core, Kinesis, DynamoDB and SNS,
 * the three Lambda handlers behind their event source mappings, a fleet of simulated towers running
 * the real edge component, and the status page.
 */
export async function startStack(partial: Partial<StackOptions> = {}): Promise<Stack> {
  const options: StackOptions = { ...STACK_DEFAULTS, ...partial };
  const log = options.log ?? ((line: string) => console.log(line));
  const startedAt = Date.now();
  const dir = resolve(options.stateDir);
  const certsDir = resolve(options.certsDir);
  mkdirSync(dir, { recursive: true });

  await LocalFleet.provision(certsDir, options.towers);
  const aws = await startLocalAws({ isolate: true, ...(options.persist && { stateDir: join(dir, 'aws') }) });
  // The rules engine's Kinesis action in a thread of its own, below the broker's priority.
  const kinesisAction = await startKinesisSinkInWorker({ endpoint: aws.kinesisEndpoint, niceness: 5 });
  let view: FleetView | undefined;
  let consumers: Consumers | undefined;

  const iot = await startLocalIot({
    certsDir,
    stateDir: join(dir, 'iot'),
    mqttPort: options.port,
    dataPlanePort: options.dataPlanePort,
    streamName: STREAM_NAME,
    kinesis: lossy(kinesisAction, options.dropRecord),
    rules: rulesWithLiveView((towerId, type, payload) => view?.onDeviceMessage(towerId, type, payload)),
    // The alert rule's Lambda action. The consumers start after the broker (the twin updater needs
    // its data plane); until then the action fails like an invoke of a missing function would.
    functions: {
      'alert-notifier': (event: Uint8Array) => {
        if (!consumers) throw new Error('ResourceNotFoundException: alert-notifier is not running yet');
        consumers.invokeAsync('alert-notifier', event);
      },
    },
    // The CDK app's error action writes the failed payload to S3; locally it goes to a directory.
    errorSink: (payload: RuleErrorPayload) => {
      const errorsDir = join(dir, 'rule-errors');
      mkdirSync(errorsDir, { recursive: true });
      writeFileSync(
        join(errorsDir, `${Date.now()}-${payload.ruleName}-${payload.cloudwatchTraceId}.json`),
        JSON.stringify(payload),
      );
      log(`rule ${payload.ruleName} failed: ${payload.failures.map((f) => f.errorMessage).join('; ')}`);
    },
  }).catch(async (e: Error) => {
    await kinesisAction.stop();
    await aws.stop();
    throw e;
  });

  // The rollups are recomputed here, beside the status page that reads them, for the days each
  // archive flush touched; the archive itself runs with the stream consumers, off this loop.
  const folder = archiveDir(dir);
  let rollups: RollupStore | undefined;
  let archive: Archiver | undefined;
  try {
    if (options.archive !== false) rollups = await openRollupStore(folder);
    const split = await startSplitConsumers({
      aws,
      streamName: STREAM_NAME,
      iotDataEndpoint: iot.dataPlaneUrl,
      ...(options.consumerEnv && { env: options.consumerEnv }),
      ...(options.archive !== false && {
        archive: {
          dir: folder,
          ...(options.archiveIntervalSeconds !== undefined && {
            intervalSeconds: options.archiveIntervalSeconds,
          }),
          ...(aws.stateDir && { checkpointsFile: join(aws.stateDir, 'esm', 'archive-delivery.json') }),
        },
      }),
      onError: (e) => log(`stream consumers stopped: ${e.message}`),
    });
    consumers = split;
    archive = split.archive;
  } catch (e) {
    rollups?.close();
    await iot.stop();
    await kinesisAction.stop();
    await aws.stop();
    throw e;
  }
  const rollupStore = rollups;
  archive?.onFlushed(async (files) => {
    const dts = files.filter((f) => f.table === 'readings').map((f) => f.dt);
    if (dts.length === 0 || !rollupStore) return;
    await rollupStore.recomputeForPartitions(dts).catch((e: Error) => log(`rollups: ${e.message}`));
  });

  const fleet = new LocalFleet({
    dir,
    certsDir,
    mqttUrl: iot.mqttUrl,
    towers: options.towers,
    sensors: options.sensors,
    rate: options.rate,
    ...(options.batchMaxAgeMs !== undefined && { batchMaxAgeMs: options.batchMaxAgeMs }),
    ...(options.confirmTimeoutMs !== undefined && { confirmTimeoutMs: options.confirmTimeoutMs }),
  });
  view = new FleetView(
    fleet.ids,
    probeOf(() => consumers, fleet),
  );
  const fleetView = view;
  iot.on('connect', (e) => fleetView.setOnline(e.thingName, true));
  iot.on('disconnect', (e) => fleetView.setOnline(e.clientId, false));
  aws.sns.onPublish((m) =>
    fleetView.onNotification({
      time: m.publishedAt,
      subject: m.subject ?? m.message.slice(0, 80),
      ...(m.attributes.towerId && { towerId: m.attributes.towerId }),
      ...(m.attributes.severity && { severity: m.attributes.severity }),
    }),
  );

  const dataPlane = new IoTDataPlaneClient(localClientConfig(iot.dataPlaneUrl));
  const status = await startStatusServer({
    port: options.statusPort,
    source: {
      snapshot: () => fleetView.snapshot(),
      async setConfig(towerId, path, value) {
        if (!fleet.ids.includes(towerId)) throw new Error(`unknown tower ${towerId}`);
        const result = await setConfig(dataPlane, towerId, [`${path}=${JSON.stringify(value)}`]);
        return { version: result.version ?? 0 };
      },
      ...(rollups && { rollups: (query: Parameters<RollupStore['read']>[0]) => rollups.read(query) }),
    },
  });
  let lastRefreshError = '';
  const configPoll = setInterval(() => {
    fleetView
      .refreshConfig(dataPlane)
      .then(() => {
        lastRefreshError = '';
      })
      .catch((e: Error) => {
        // Once per distinct failure: while the broker is down (--chaos) every poll would fail alike.
        if (e.message !== lastRefreshError) log(`config shadow refresh: ${e.message}`);
        lastRefreshError = e.message;
      });
  }, 2000);
  configPoll.unref();

  if (options.startFleet !== false) await fleet.startAll();
  await waitFor(() => fleet.running().every((t) => t.stats().connected), 30_000);
  const startupMs = Date.now() - startedAt;

  const stopAnomalies = options.anomalies ? scheduleAnomalies(fleet, log) : () => {};
  const stopChaos = options.chaos ? startChaos({ iot, fleet, log }) : () => {};

  let stopping: Promise<void> | undefined;
  return {
    options,
    aws,
    iot,
    consumers,
    fleet,
    view: fleetView,
    status,
    ...(archive && { archive }),
    ...(rollups && { rollups }),
    streamName: STREAM_NAME,
    startedAt,
    startupMs,
    stop() {
      stopping ??= (async () => {
        stopChaos();
        stopAnomalies();
        clearInterval(configPoll);
        await status.stop();
        await fleet.stopAll();
        await iot.drain();
        // The archive's last flush runs the rollups here; then the worker it runs in stops.
        await archive?.stop();
        await consumers?.stop();
        rollups?.close();
        await iot.stop();
        await kinesisAction.stop();
        dataPlane.destroy();
        await aws.stop();
      })();
      return stopping;
    },
  };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
export * from './audit.js';
