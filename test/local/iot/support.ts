import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { initCa, issueDeviceCertificate, issueServerCertificate } from '../../../certs-tool/index.js';
import {
  type LocalIot,
  type LocalIotOptions,
  MemoryKinesisSink,
  startLocalIot,
} from '../../../local/iot/index.js';

/** A fixed clock inside the certificates' validity window, so outputs are exact. */
export const FIXED_NOW = Math.floor(Date.now() / 1000) * 1000 + 60_000;
export const STREAM = 'towerwatch-test';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `towerwatch-${prefix}-`));
}

/** A certs-tool directory with a fleet CA, a server certificate and device certificates. */
export async function makeCerts(towers: string[]): Promise<string> {
  const dir = tempDir('certs');
  await initCa(dir);
  await issueServerCertificate(dir, ['localhost']);
  for (const t of towers) await issueDeviceCertificate(dir, t);
  return dir;
}

export interface Harness {
  iot: LocalIot;
  sink: MemoryKinesisSink;
  certsDir: string;
  stateDir: string;
  clients: MqttClient[];
  cleanup(): Promise<void>;
}

export async function startHarness(
  certsDir: string,
  extra: Partial<LocalIotOptions> = {},
  stateDir = tempDir('state'),
): Promise<Harness> {
  const sink = new MemoryKinesisSink();
  const iot = await startLocalIot({
    certsDir,
    stateDir,
    kinesis: sink,
    streamName: STREAM,
    clock: { now: () => FIXED_NOW },
    ...extra,
  });
  const clients: MqttClient[] = [];
  return {
    iot,
    sink,
    certsDir,
    stateDir,
    clients,
    async cleanup() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await iot.stop();
    },
  };
}

export interface ConnectOptions {
  clientId?: string;
  /** Directory holding cert.pem/key.pem (defaults to the tower's own in certsDir). */
  identityDir?: string;
  caPath?: string;
}

function clientOptions(h: Harness, towerId: string, opts: ConnectOptions): mqtt.IClientOptions {
  const idDir = opts.identityDir ?? join(h.certsDir, 'devices', towerId);
  return {
    clientId: opts.clientId ?? towerId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    key: readFileSync(join(idDir, 'key.pem')),
    cert: readFileSync(join(idDir, 'cert.pem')),
    ca: readFileSync(opts.caPath ?? join(h.certsDir, 'ca', 'ca.pem')),
    rejectUnauthorized: true,
  };
}

/** Connects a tower over mutual TLS with the third-party `mqtt` client. */
export async function connectTower(
  h: Harness,
  towerId: string,
  opts: ConnectOptions = {},
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(h.iot.mqttUrl, clientOptions(h, towerId, opts), false);
  h.clients.push(client);
  return client;
}

/** Connects and expects a refusal; resolves with the error the client saw. */
export async function connectRefused(h: Harness, towerId: string, opts: ConnectOptions = {}): Promise<Error> {
  const client = mqtt.connect(h.iot.mqttUrl, clientOptions(h, towerId, opts));
  h.clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => reject(new Error('connection was accepted')));
    client.once('error', (e) => resolve(e));
    client.once('close', () => resolve(new Error('closed')));
  });
}

/** Polls until `check` holds; fails with `what` after the deadline. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects messages a client receives, by topic. */
export function collect(client: MqttClient): { topic: string; json: unknown }[] {
  const got: { topic: string; json: unknown }[] = [];
  client.on('message', (topic, payload) => {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      json = payload.toString();
    }
    got.push({ topic, json });
  });
  return got;
}

export function removeDirs(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
