import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetThingShadowCommand,
  type GetThingShadowCommandOutput,
  IoTDataPlaneClient,
  ResourceNotFoundException,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  buildPatch,
  ConfigCommandError,
  main,
  mergeDesired,
  parsePath,
  setConfig,
} from '../../../cloud/cli/config.js';

// The SDK types payloads as its blob adapter; the bytes are what matter on the wire.
const encode = (v: unknown) =>
  new TextEncoder().encode(JSON.stringify(v)) as unknown as NonNullable<
    GetThingShadowCommandOutput['payload']
  >;
const decode = (b: unknown) => JSON.parse(new TextDecoder().decode(b as Uint8Array));

describe('paths, values and merging', () => {
  it('splits dotted paths and keeps bracketed ids with dots whole', () => {
    expect(parsePath('rules.temperature.high.critical')).toEqual([
      'rules',
      'temperature',
      'high',
      'critical',
    ]);
    expect(parsePath('sensors[temp.cabinet].intervalMs')).toEqual(['sensors', 'temp.cabinet', 'intervalMs']);
    for (const bad of ['', '.a', 'a..b', 'a.', 'a[b'])
      expect(() => parsePath(bad)).toThrow(ConfigCommandError);
  });

  it('builds one nested patch from many assignments, parsing JSON values', () => {
    expect(
      buildPatch([
        'rules.temperature.high.critical=50',
        'rules.temperature.hysteresis=1.5',
        'sensors[a.b].enabled=false',
      ]),
    ).toEqual({
      rules: { temperature: { high: { critical: 50 }, hysteresis: 1.5 } },
      sensors: { 'a.b': { enabled: false } },
    });
    expect(buildPatch(['rules.humidity=null'])).toEqual({ rules: { humidity: null } });
    expect(() => buildPatch([])).toThrow(/at least one/);
    expect(() => buildPatch(['no-equals'])).toThrow(/<path>=<value>/);
  });

  it('merges like a shadow: objects key by key, null deletes', () => {
    const current = { rules: { temperature: { debounce: { k: 2, n: 3 } }, humidity: { hysteresis: 2 } } };
    expect(mergeDesired(current, { rules: { temperature: { debounce: { k: 3 } }, humidity: null } })).toEqual(
      {
        rules: { temperature: { debounce: { k: 3, n: 3 } } },
      },
    );
  });
});

describe('setConfig over the IoT data plane (SDK calls mocked)', () => {
  const iot = mockClient(IoTDataPlaneClient);
  beforeEach(() => iot.reset());
  afterAll(() => iot.restore());

  it('validates the merge with the current desired state and sends only the patch, version-checked', async () => {
    iot.on(GetThingShadowCommand).resolves({
      payload: encode({
        state: { desired: { rules: { temperature: { debounce: { k: 2, n: 3 } } } } },
        version: 7,
      }),
    });
    iot.on(UpdateThingShadowCommand).resolves({ payload: encode({ version: 8 }) });
    const result = await setConfig(new IoTDataPlaneClient({ region: 'us-east-1' }), 'tower-1', [
      'rules.temperature.debounce.k=3',
    ]);
    expect(result).toMatchObject({ sent: true, version: 8 });
    expect(iot.commandCalls(GetThingShadowCommand)[0]!.args[0].input).toEqual({
      thingName: 'tower-1',
      shadowName: 'config',
    });
    const update = iot.commandCalls(UpdateThingShadowCommand)[0]!.args[0].input;
    expect(update.thingName).toBe('tower-1');
    expect(update.shadowName).toBe('config');
    expect(decode(update.payload)).toEqual({
      state: { desired: { rules: { temperature: { debounce: { k: 3 } } } } },
      version: 7,
    });
  });

  it('sends nothing when the result would be invalid, naming the field', async () => {
    iot.on(GetThingShadowCommand).resolves({ payload: encode({ state: { desired: {} }, version: 1 }) });
    await expect(
      setConfig(new IoTDataPlaneClient({ region: 'us-east-1' }), 'tower-1', [
        'rules.temperature.debounce.k=4',
      ]),
    ).rejects.toThrow(/^rules\.temperature\.debounce\.n: /);
    await expect(
      setConfig(new IoTDataPlaneClient({ region: 'us-east-1' }), 'tower-1', [
        'rules.temperature.hight.critical=4',
      ]),
    ).rejects.toThrow(/rules\.temperature/);
    expect(iot.commandCalls(UpdateThingShadowCommand)).toHaveLength(0);
  });

  it('starts from an empty state when the tower has no config shadow yet', async () => {
    iot
      .on(GetThingShadowCommand)
      .rejects(new ResourceNotFoundException({ message: 'No shadow exists', $metadata: {} }));
    iot.on(UpdateThingShadowCommand).resolves({ payload: encode({ version: 1 }) });
    await setConfig(new IoTDataPlaneClient({ region: 'us-east-1' }), 'tower-2', ['statusIntervalMs=30000']);
    const update = decode(iot.commandCalls(UpdateThingShadowCommand)[0]!.args[0].input.payload);
    expect(update).toEqual({ state: { desired: { statusIntervalMs: 30000 } } });
  });
});

describe('towerwatch config (the command)', () => {
  let server: Server | undefined;
  let out: ReturnType<typeof vi.spyOn>;
  let err: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    out = vi.spyOn(console, 'log').mockImplementation(() => {});
    err = vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
  });

  it('talks to the data plane given with --endpoint', async () => {
    const requests: { method: string; url: string; body: string }[] = [];
    server = createServer(async (req: IncomingMessage, res) => {
      let body = '';
      for await (const c of req) body += c;
      requests.push({ method: req.method!, url: req.url!, body });
      if (req.method === 'GET') {
        res.writeHead(404, {
          'x-amzn-ErrorType': 'ResourceNotFoundException',
          'content-type': 'application/json',
        });
        res.end(JSON.stringify({ message: 'No shadow exists with name: config' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ version: 1, state: JSON.parse(body).state }));
      }
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const code = await main([
      'set',
      'tower-9',
      'rules.temperature.high.critical=50',
      '--endpoint',
      `http://127.0.0.1:${port}`,
    ]);
    expect(err.mock.calls).toEqual([]);
    expect(code).toBe(0);
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /things/tower-9/shadow?name=config',
      'POST /things/tower-9/shadow?name=config',
    ]);
    expect(JSON.parse(requests[1]!.body)).toEqual({
      state: { desired: { rules: { temperature: { high: { critical: 50 } } } } },
    });
    expect(out.mock.calls.flat().join('\n')).toContain('version 1');
  });

  it('--dry-run validates and prints without sending', async () => {
    expect(await main(['set', 'tower-1', 'rules.temperature.high.critical=50', '--dry-run', '--json'])).toBe(
      0,
    );
    expect(JSON.parse(out.mock.calls[0]![0] as string)).toMatchObject({ sent: false, towerId: 'tower-1' });
  });

  it('exits 2 with one line on stderr for bad input', async () => {
    const bad = [
      [],
      ['set', 'tower-1'],
      ['set', 'bad tower', 'a=1', '--dry-run'],
      ['set', 'tower-1', 'rules.temperature.high.critical=hot', '--dry-run'],
      ['set', 'tower-1', 'statusIntervalMs=10', '--dry-run'],
      ['frobnicate'],
    ];
    for (const argv of bad) {
      err.mockClear();
      expect(await main(argv), argv.join(' ')).toBe(2);
      expect(err.mock.calls, argv.join(' ')).toHaveLength(1);
      expect(String(err.mock.calls[0]![0])).not.toContain('\n');
    }
    err.mockClear();
    expect(await main(['set', 'tower-1', 'statusIntervalMs=10', '--dry-run'])).toBe(2);
    expect(String(err.mock.calls[0]![0])).toMatch(/^towerwatch config: statusIntervalMs: /);
  });

  it('has --help', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await main(['set', '--help'])).toBe(0);
    expect(write.mock.calls.flat().join('')).toContain('--dry-run');
  });
});
