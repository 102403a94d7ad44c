import { describe, expect, it } from 'vitest';
import { shadowTopic } from '../../../protocol/index.js';
import { MemoryTransport, TopicConfigShadow } from '../../../edge/src/transport/index.js';
import { waitFor } from '../buffer/helpers.js';

const THING = 'tower-s1';

/** A shadow service stand-in on the in-memory link: answers each request with `reply`. */
function serviceAnswering(reply: (op: 'get' | 'update', token: string) => { topic: string; body: object }) {
  const transport: MemoryTransport = new MemoryTransport({
    onPublish: ({ topic, payload }) => {
      const op = topic === shadowTopic(THING, 'config', 'get') ? 'get' : 'update';
      const { clientToken } = JSON.parse(payload.toString()) as { clientToken: string };
      const answer = reply(op, clientToken);
      setImmediate(() => transport.inject(answer.topic, JSON.stringify({ ...answer.body, clientToken })));
    },
  });
  transport.start();
  return transport;
}

describe('TopicConfigShadow', () => {
  it('reads a missing shadow (404) as null and surfaces other rejections with their code', async () => {
    const transport = serviceAnswering((op) => ({
      topic: shadowTopic(THING, 'config', op, 'rejected'),
      body:
        op === 'get'
          ? { code: 404, message: 'No shadow exists with name: config' }
          : { code: 400, message: 'bad' },
    }));
    const shadow = new TopicConfigShadow(transport, THING);
    expect(await shadow.get()).toBeNull();
    await expect(shadow.report({ statusIntervalMs: 5000 })).rejects.toThrow(
      /shadow update rejected: 400 bad/,
    );
  });

  it('matches concurrent replies to their requests by clientToken and times out when none comes', async () => {
    let n = 0;
    const transport = serviceAnswering((op) => ({
      topic: shadowTopic(THING, 'config', op, 'accepted'),
      body: { state: { desired: { n: ++n } }, version: n },
    }));
    const shadow = new TopicConfigShadow(transport, THING);
    const docs = await Promise.all([shadow.get(), shadow.get(), shadow.get()]);
    expect(docs.map((d) => d!.version).sort()).toEqual([1, 2, 3]);
    for (const d of docs) expect(d!.desired).toEqual({ n: d!.version });

    const silent = new MemoryTransport();
    silent.start();
    await expect(new TopicConfigShadow(silent, THING, 50).get()).rejects.toThrow(/timed out after 50 ms/);
  });

  it('hands listeners the whole document after a delta and after a reconnect', async () => {
    let version = 1;
    const transport = serviceAnswering((op) => ({
      topic: shadowTopic(THING, 'config', op, 'accepted'),
      body: { state: { desired: { statusIntervalMs: 1000 * version }, reported: {} }, version },
    }));
    const shadow = new TopicConfigShadow(transport, THING);
    const seen: number[] = [];
    shadow.subscribe((doc) => seen.push(doc.version));
    await waitFor(() => seen.length === 1, 'the first document');
    version = 2;
    transport.inject(
      shadowTopic(THING, 'config', 'update', 'delta'),
      JSON.stringify({ state: { statusIntervalMs: 2000 } }),
    );
    await waitFor(() => seen.length === 2, 'the document after a delta');
    transport.setLink(false);
    version = 3;
    transport.setLink(true);
    await waitFor(() => seen.length === 3, 'the document after reconnecting');
    expect(seen).toEqual([1, 2, 3]);
  });
});
