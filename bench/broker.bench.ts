import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { startTypeScriptWorker } from '../local/worker.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import { initCa, issueDeviceCertificate, issueServerCertificate } from '../certs-tool/index.js';
import { MemoryKinesisSink, startLocalIot } from '../local/iot/index.js';
import { deviceTopic, encodeMessage, packReadings, type Reading } from '../protocol/index.js';
import type { BenchResult } from './lib/types.js';

const TOWERS = 100;
const MESSAGES_PER_TOWER = 200;
/** QoS 1 messages a tower keeps in flight (IoT allows 100). */
const WINDOW = 10;
const SEQ_MARK = 987_654_321;
const SENT_MARK = 1_999_999_999_999;

interface ClientJob {
  mqttUrl: string;
  certsDir: string;
  towers: string[];
}

/** Ten seconds of an 8-sensor tower at 1 Hz, the batch a live tower sends, split around seq and sentAt. */
function payloadTemplate(towerId: string): [string, string, string] {
  const t0 = Date.UTC(2026, 10, 23);
  const readings: Reading[] = [];
  for (let s = 0; s < 10; s++) {
    for (let i = 0; i < 8; i++)
      readings.push({ sensorId: `s${i}`, time: t0 + s * 1000, value: 20 + i + s / 10 });
  }
  const [batch] = packReadings(readings, { towerId, firstSeq: SEQ_MARK, sentAt: SENT_MARK });
  const text = encodeMessage(batch).payload;
  const [head, rest] = text.split(String(SEQ_MARK)) as [string, string];
  const [middle, tail] = rest.split(String(SENT_MARK)) as [string, string];
  return [head, middle, tail];
}

/**
 * The towers run in a worker thread, as they would run on other machines: the broker's thread
 * then does only broker work, and the two cores are shared as in a real deployment's host.
 */
async function clientWorker(job: ClientJob): Promise<void> {
  const ca = readFileSync(join(job.certsDir, 'ca', 'ca.pem'));
  const clients = await Promise.all(
    job.towers.map((t) =>
      mqtt.connectAsync(job.mqttUrl, {
        clientId: t,
        protocolVersion: 4,
        reconnectPeriod: 0,
        key: readFileSync(join(job.certsDir, 'devices', t, 'key.pem')),
        cert: readFileSync(join(job.certsDir, 'devices', t, 'cert.pem')),
        ca,
      }),
    ),
  );
  parentPort!.postMessage('ready');
  await new Promise((resolve) => parentPort!.once('message', resolve));
  await Promise.all(
    clients.map(async (client, i) => {
      const towerId = job.towers[i]!;
      const topic = deviceTopic(towerId, 'telemetry');
      const [head, middle, tail] = payloadTemplate(towerId);
      let next = 0;
      const lane = async () => {
        while (next < MESSAGES_PER_TOWER) {
          const seq = next++;
          await client.publishAsync(topic, `${head}${seq}${middle}${Date.now()}${tail}`, { qos: 1 });
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, lane));
    }),
  );
  await Promise.all(clients.map((c) => c.endAsync()));
  parentPort!.postMessage('done');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const SENT_AT = /"sentAt":(\d+)/;

export async function run(): Promise<BenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'towerwatch-bench-broker-'));
  const certsDir = join(root, 'certs');
  const towers = Array.from({ length: TOWERS }, (_, i) => `tower-${String(i).padStart(3, '0')}`);
  await initCa(certsDir);
  await issueServerCertificate(certsDir, ['localhost']);
  for (const t of towers) await issueDeviceCertificate(certsDir, t);

  const sink = new MemoryKinesisSink();
  const latencies: number[] = [];
  sink.onRecord((r) => {
    const sentAt = SENT_AT.exec(Buffer.from(r.data).toString());
    if (sentAt && r.partitionKey.startsWith('tower-')) latencies.push(Date.now() - Number(sentAt[1]));
  });
  const iot = await startLocalIot({
    certsDir,
    stateDir: join(root, 'state'),
    kinesis: sink,
    streamName: 'bench',
  });
  const job: ClientJob = { mqttUrl: iot.mqttUrl, certsDir, towers };
  const worker = startTypeScriptWorker(import.meta.url, job);
  const messages: string[] = [];
  const waitMessage = (m: string) =>
    new Promise<void>((resolve, reject) => {
      if (messages.includes(m)) return resolve();
      const onMessage = (got: string) => {
        messages.push(got);
        if (got === m) resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });

  await waitMessage('ready');
  const total = TOWERS * MESSAGES_PER_TOWER;
  const before = sink.records.length;
  const started = performance.now();
  worker.postMessage('go');
  await sink.waitForCount(before + total);
  const seconds = (performance.now() - started) / 1000;
  await waitMessage('done');
  await worker.terminate();

  const stats = iot.stats();
  await iot.stop();
  rmSync(root, { recursive: true, force: true });

  latencies.sort((a, b) => a - b);
  return {
    name: 'broker',
    metrics: {
      messagesPerSec: { value: total / seconds, unit: 'msg/s', target: 5000, better: 'higher' },
      publishToActionP99Ms: { value: percentile(latencies, 99), unit: 'ms', better: 'lower' },
      publishToActionP50Ms: { value: percentile(latencies, 50), unit: 'ms', better: 'lower' },
    },
    notes: [
      `${TOWERS} towers over mutual TLS (one worker thread), ${MESSAGES_PER_TOWER} QoS 1 telemetry batches each (~${payloadTemplate('tower-000').join('').length} B), ${WINDOW} in flight per tower`,
      'every publish passes the tower IoT policy and the telemetry rule (SELECT *, enrichment) into an in-memory stream',
      `${stats.publishesIn} publishes in, ${stats.publishesDenied} denied, ${stats.ruleMatches} rule matches (incl. lifecycle)`,
    ],
  };
}

if (!isMainThread) await clientWorker(workerData as ClientJob);
