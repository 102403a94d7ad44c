import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { STORED_ACK } from '../protocol/index.js';
import { auditReadings, readingsStored, startStack, waitUntil } from '../local/stack/index.js';
import { RemoteFleet } from './lib/remote-fleet.js';
import type { BenchResult } from './lib/types.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The whole path on this machine: simulated towers (the real edge component over mutual-TLS MQTT,
 * in a worker thread as remote towers would be) → local IoT Core and rules → Kinesis → the three
 * Lambda handlers → DynamoDB / shadow / SNS. Offered load = towers × sensors × rate; afterwards every
 * tower's readings are read back and compared with what it sampled. Spikes injected on distinct
 * towers give spike→SNS latency.
 */
export async function run(): Promise<BenchResult> {
  const towers = env('BENCH_E2E_TOWERS', 100);
  const sensors = env('BENCH_E2E_SENSORS', 10);
  const rate = env('BENCH_E2E_RATE', 6);
  const seconds = env('BENCH_E2E_SECONDS', 40);
  const root = mkdtempSync(join(tmpdir(), 'towerwatch-bench-e2e-'));
  const began = Date.now();
  const stack = await startStack({
    certsDir: join(root, 'certs'),
    stateDir: join(root, 'state'),
    towers,
    sensors,
    rate,
    startFleet: false,
    anomalies: false,
    persist: false,
    consumerEnv: { ALERT_SUPPRESSION_WINDOW_MS: '0' },
    log: () => {},
  });
  const fleetOptions = {
    dir: join(root, 'state'),
    certsDir: join(root, 'certs'),
    mqttUrl: stack.iot.mqttUrl,
    towers,
    sensors,
    rate,
    batchMaxAgeMs: 2000,
  };
  let fleet: RemoteFleet | undefined;
  try {
    fleet = await RemoteFleet.start(fleetOptions);
    await waitUntil('every tower connected', () => stack.iot.stats().connected >= towers, 60_000);
    const startupMs = Date.now() - began;

    const injected = new Map<string, number>();
    const alertPublished = new Map<string, number>();
    const notified = new Map<string, number>();
    stack.iot.on('publish', (e) => {
      const towerId = e.clientId;
      if (towerId && e.topic.endsWith('/alert') && injected.has(towerId) && !alertPublished.has(towerId)) {
        alertPublished.set(towerId, Date.now());
      }
    });
    stack.aws.sns.onPublish((m) => {
      const towerId = m.attributes.towerId;
      if (towerId && m.attributes.rule === 'threshold-high' && !notified.has(towerId))
        notified.set(towerId, Date.now());
    });
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    let maxLagMs = 0;
    const runStart = Date.now();
    const lagTimer = setInterval(() => {
      maxLagMs = Math.max(maxLagMs, stack.view.counters().streamLagMs);
    }, 250);
    // When the writer's count reached a level: the towers' drain also waits for the last stored
    // acknowledgement (up to the edge's nudge after a quiet spell), which is not throughput.
    const storedAt: [at: number, readings: number][] = [];
    const storedTimer = setInterval(() => storedAt.push([Date.now(), readingsStored(stack)]), 100);
    const spikes = stack.fleet.ids.slice(0, Math.min(towers, Math.floor((seconds - 10) * 2)));
    for (const [i, towerId] of spikes.entries()) {
      setTimeout(
        () => fleet?.inject(towerId, 55, 5000, (at) => injected.set(towerId, at)),
        5000 + i * 500,
      ).unref();
    }
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const sampledUntil = Date.now();
    const { sampled: sampledByTower, unconfirmedMaxAgeMs, leftInBuffers } = await fleet.drain();
    const confirmedBy = Date.now();
    const sampled = Object.values(sampledByTower).reduce((a, b) => a + b, 0);
    await waitUntil(
      'the writer to store every reading',
      () => readingsStored(stack) >= sampled,
      120_000,
    ).catch(() => undefined);
    const storedBy = storedAt.find(([, n]) => n >= sampled)?.[0] ?? Date.now();
    clearInterval(storedTimer);
    clearInterval(lagTimer);
    loopDelay.disable();
    const audit = await auditReadings(stack, sampledByTower);

    const latencyFrom = (start: Map<string, number>) =>
      [...start]
        .map(([towerId, at]) => (notified.has(towerId) ? notified.get(towerId)! - at : Number.NaN))
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
    const latencies = latencyFrom(injected);
    const pipeline = latencyFrom(alertPublished);
    return {
      name: 'e2e',
      metrics: {
        readingsPerSec: {
          value: audit.stored / ((storedBy - runStart) / 1000),
          unit: 'readings/s',
          target: 5000,
          better: 'higher',
        },
        lostReadings: { value: audit.lost, unit: 'readings', target: 0, better: 'lower' },
        duplicateReadings: { value: audit.duplicated, unit: 'readings', target: 0, better: 'lower' },
        alertLatencyP50Ms: { value: percentile(latencies, 50), unit: 'ms', better: 'lower' },
        alertLatencyP99Ms: { value: percentile(latencies, 99), unit: 'ms', target: 500, better: 'lower' },
        alertPipelineP50Ms: { value: percentile(pipeline, 50), unit: 'ms', better: 'lower' },
        alertPipelineP99Ms: { value: percentile(pipeline, 99), unit: 'ms', better: 'lower' },
        startupMs: { value: startupMs, unit: 'ms', better: 'lower' },
        unconfirmedMaxAgeMs: { value: unconfirmedMaxAgeMs, unit: 'ms', better: 'lower' },
        maxStreamLagMs: { value: maxLagMs, unit: 'ms', better: 'lower' },
        eventLoopDelayP99Ms: { value: loopDelay.percentile(99) / 1e6, unit: 'ms', better: 'lower' },
      },
      notes: [
        `${towers} towers x ${sensors} sensors at ${rate} Hz = ${towers * sensors * rate} readings/s offered for ${seconds} s (towers in a worker thread)`,
        `${audit.sampled} sampled, ${audit.stored} stored once, stored ${((storedBy - sampledUntil) / 1000).toFixed(1)} s and confirmed (every buffer empty) ${((confirmedBy - sampledUntil) / 1000).toFixed(1)} s after sampling stopped${leftInBuffers ? `; ${leftInBuffers} messages still in the tower buffers when the drain gave up` : ''}`,
        `${latencies.length}/${injected.size} spikes notified through SNS; startup (certificates, stack, all towers connected) ${(startupMs / 1000).toFixed(1)} s`,
        'alert latency = spike applied on the tower → SNS publish; it includes the 2-of-3 debounce at the sampling rate;',
        'alertPipeline = alert received by the broker → SNS publish (rule, then the direct invoke of alert-notifier or Kinesis and its event source mapping, whichever is first)',
        `unconfirmedMaxAgeMs = longest a tower held a PUBACK'd batch before the stored acknowledgement named it (sampled every 100 ms; the cloud acknowledges at most every ${STORED_ACK.minIntervalMs / 1000} s)`,
      ],
    };
  } finally {
    await fleet?.stop().catch(() => undefined);
    await stack.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
