import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shadowTopic } from '../../../protocol/index.js';
import { MqttTransport, mqttOptionsFromPaths, TopicConfigShadow } from '../../../edge/src/transport/index.js';
import { tempDir, waitFor } from '../buffer/helpers.js';
import { issueTestIdentities, startTlsBroker, type TlsBroker } from './tls-broker.js';

let broker: TlsBroker;
let ids: Awaited<ReturnType<typeof issueTestIdentities>>;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir('mqtt');
  cleanup = t.cleanup;
  ids = await issueTestIdentities(t.dir, ['tower-m1', 'tower-m2']);
  broker = await startTlsBroker(ids.server);
});

afterAll(async () => {
  await broker.stop();
  cleanup();
});

function transportFor(towerId: string, identity = ids.devices[towerId]!) {
  return new MqttTransport({
    ...mqttOptionsFromPaths({ towerId, endpoint: broker.url, ...identity }),
    backoff: { baseMs: 20, maxMs: 200 },
  });
}

describe('MqttTransport over mutual TLS', () => {
  it('connects with its device certificate as client id = tower id and publishes QoS 1', async () => {
    const t = transportFor('tower-m1');
    t.start();
    await waitFor(() => t.connected, 'the TLS connection');
    await t.publish('dt/towerwatch/tower-m1/status', '{"ok":true}');
    expect(broker.received.at(-1)).toEqual({
      clientId: 'tower-m1',
      topic: 'dt/towerwatch/tower-m1/status',
      payload: Buffer.from('{"ok":true}'),
    });
    const got: string[] = [];
    await t.subscribe('cmd/towerwatch/tower-m1/ping', (m) => got.push(m.payload.toString()));
    await broker.publish('cmd/towerwatch/tower-m1/ping', 'hi');
    await waitFor(() => got.length === 1, 'the subscribed message');
    await t.close();
  });

  it('is refused with another tower’s certificate and keeps retrying without crashing', async () => {
    const t = transportFor('tower-m1', ids.devices['tower-m2']!);
    t.start();
    await waitFor(() => t.stats().lastError !== null, 'the refusal');
    expect(t.connected).toBe(false);
    await expect(t.publish('dt/towerwatch/tower-m1/status', '{}')).rejects.toThrow(/not connected/);
    await t.close();
  });

  it('names the field when a certificate file is missing or not what it should be', () => {
    expect(() =>
      mqttOptionsFromPaths({
        towerId: 'tower-m1',
        endpoint: broker.url,
        ...ids.devices['tower-m1']!,
        keyPath: '/nope/key.pem',
      }),
    ).toThrow(/transport\.keyPath: cannot read \/nope\/key\.pem: ENOENT/);
    expect(() => mqttOptionsFromPaths({ towerId: 'tower-m1', endpoint: 'http://x' })).toThrow(
      /transport\.endpoint/,
    );
    const { certPath } = ids.devices['tower-m1']!;
    expect(() =>
      mqttOptionsFromPaths({
        towerId: 'tower-m1',
        endpoint: broker.url,
        ...ids.devices['tower-m1']!,
        keyPath: certPath,
      }),
    ).toThrow(/transport\.keyPath: .*cert\.pem is not a PEM private key/);
  });

  it('reconnects after the broker goes away and comes back', async () => {
    const t = transportFor('tower-m1');
    t.start();
    await waitFor(() => t.connected, 'the TLS connection');
    await broker.down();
    await waitFor(() => !t.connected, 'the disconnect');
    await broker.up();
    await waitFor(() => t.connected, 'the reconnect');
    expect(t.stats().reconnects).toBe(1);
    await t.close();
  });

  it('gets, watches and reports the config shadow over the reserved shadow topics', async () => {
    const thing = 'tower-m1';
    const doc = {
      state: { desired: { statusIntervalMs: 30000 } as Record<string, unknown>, reported: {} },
      version: 1,
    };
    // A shadow service stand-in on the broker: answers get and update on the reply topics.
    const responder = transportFor('tower-m2');
    responder.start();
    await waitFor(() => responder.connected, 'the responder');
    const t = transportFor(thing);
    t.start();
    await waitFor(() => t.connected, 'the TLS connection');
    const shadow = new TopicConfigShadow(t, thing, 5000);
    const seen: unknown[] = [];
    shadow.subscribe((d) => seen.push(d.desired));

    const reply = async (op: 'get' | 'update', body: Record<string, unknown>) =>
      broker.publish(shadowTopic(thing, 'config', op, 'accepted'), JSON.stringify(body));
    const handled = new Set<string>();
    const poll = setInterval(() => {
      for (const m of broker.received) {
        if (m.clientId !== thing || handled.has(m.payload.toString())) continue;
        handled.add(m.payload.toString());
        const req = JSON.parse(m.payload.toString()) as {
          clientToken: string;
          state?: { reported?: object };
        };
        if (m.topic === shadowTopic(thing, 'config', 'get'))
          void reply('get', { ...doc, clientToken: req.clientToken });
        if (m.topic === shadowTopic(thing, 'config', 'update')) {
          doc.state.reported = { ...doc.state.reported, ...req.state?.reported };
          void reply('update', { state: { reported: req.state?.reported }, clientToken: req.clientToken });
        }
      }
    }, 10);
    try {
      await waitFor(() => seen.length >= 1, 'the document after subscribing');
      expect(seen[0]).toEqual({ statusIntervalMs: 30000 });
      doc.state.desired = { statusIntervalMs: 10000 };
      await broker.publish(
        shadowTopic(thing, 'config', 'update', 'delta'),
        JSON.stringify({ state: { statusIntervalMs: 10000 } }),
      );
      await waitFor(() => seen.length >= 2, 'the document after a delta');
      expect(seen.at(-1)).toEqual({ statusIntervalMs: 10000 });
      await shadow.report({ statusIntervalMs: 10000 });
      expect(doc.state.reported).toEqual({ statusIntervalMs: 10000 });
    } finally {
      clearInterval(poll);
      await t.close();
      await responder.close();
    }
  });
});
