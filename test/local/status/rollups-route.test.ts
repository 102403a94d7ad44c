import { afterEach, describe, expect, it } from 'vitest';
import { type StatusServer, startStatusServer } from '../../../local/status/server.js';
import type { StatusSource } from '../../../local/status/types.js';
import type { RollupQuery } from '../../../protocol/index.js';

let server: StatusServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function serve(rollups?: StatusSource['rollups']) {
  const asked: RollupQuery[] = [];
  const source: StatusSource = {
    snapshot: () => ({ time: 0, counters: {} as never, towers: [], notifications: [] }),
    setConfig: async () => ({ version: 1 }),
    ...(rollups && {
      rollups: async (q) => {
        asked.push(q);
        return rollups(q);
      },
    }),
  };
  server = await startStatusServer({ source, pushIntervalMs: 60_000 });
  const get = async (query: string) => {
    const res = await fetch(new URL(`api/rollups?${query}`, server!.url));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { get, asked };
}

describe('status page: GET /api/rollups (the 24 h chart)', () => {
  it('asks the archive for one tower and sensor over the last hours and returns its rows', async () => {
    const row = { towerId: 'tw-1', sensorId: 'temp', bucket: 0, min: 1, max: 3, mean: 2, count: 4 };
    const { get, asked } = await serve(async () => [row]);
    const before = Date.now();
    const res = await get('tower=tw-1&sensor=temp&resolution=1h&hours=24');
    expect(res).toEqual({ status: 200, body: { resolution: '1h', rows: [row] } });
    expect(asked[0]).toMatchObject({ towerId: 'tw-1', sensorId: 'temp', resolution: '1h' });
    expect(asked[0]!.toMs - asked[0]!.fromMs).toBeCloseTo(24 * 3_600_000, -4);
    expect(asked[0]!.toMs).toBeGreaterThanOrEqual(before);
  });

  it('refuses bad parameters with the field named, and says when there is no archive', async () => {
    const { get, asked } = await serve(async () => []);
    expect((await get('tower=a%20b&sensor=temp')).body.error).toMatch(/^tower/);
    expect((await get('tower=tw-1&sensor=%27x')).body.error).toMatch(/^sensor/);
    expect((await get('tower=tw-1&resolution=5m')).body.error).toBe('resolution must be 1m or 1h');
    expect((await get('tower=tw-1&hours=-1')).status).toBe(400);
    expect(asked).toHaveLength(0);
    await server!.stop();
    server = undefined;
    const none = await serve();
    expect(await none.get('tower=tw-1')).toEqual({
      status: 404,
      body: { error: 'this stack keeps no archive' },
    });
  });
});
