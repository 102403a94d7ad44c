import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadEdgeConfig } from '../../../edge/src/config/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'towerwatch-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toContain('\n');
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const YAML = `
towerId: tower-0042
sysfsRoot: /sys
sensors:
  - id: temp-cabinet
    kind: temperature
    source: w1
    device: 28-0316a2791eff
    intervalMs: 5000
  - id: voltage-dc
    kind: voltage
    source: modbus
    connection: { kind: tcp, host: 192.168.1.20 }
    unitId: 3
    register: { address: 40, type: float32 }
  - id: temp-sim
    kind: temperature
    source: simulated
    profile: temperature
tunable:
  rules:
    temperature:
      high: { warning: 38 }
batching:
  maxAgeMs: 5000
`;

describe('loadEdgeConfig', () => {
  it('reads a YAML file and fills the defaults', () => {
    const config = loadEdgeConfig({ file: file('edge.yaml', YAML) });
    expect(config.towerId).toBe('tower-0042');
    expect(config.sensors.map((s) => [s.id, s.source, s.intervalMs, s.timeoutMs])).toEqual([
      ['temp-cabinet', 'w1', 5000, 2000],
      ['voltage-dc', 'modbus', 1000, 2000],
      ['temp-sim', 'simulated', 1000, 2000],
    ]);
    const modbus = config.sensors[1]!;
    expect(modbus.source === 'modbus' && modbus.connection).toEqual({
      kind: 'tcp',
      host: '192.168.1.20',
      port: 502,
    });
    expect(modbus.source === 'modbus' && modbus.register).toEqual({
      table: 'holding',
      address: 40,
      type: 'float32',
      wordOrder: 'big',
      scale: 1,
      offset: 0,
    });
    expect(config.tunable.rules?.temperature?.high).toEqual({ warning: 38 });
    expect(config.batching).toEqual({ maxAgeMs: 5000 });
  });

  it('reads a JSON file', () => {
    const config = loadEdgeConfig({ file: file('edge.json', JSON.stringify({ towerId: 't-1' })) });
    expect(config).toMatchObject({ towerId: 't-1', sensors: [], sysfsRoot: '/sys' });
  });

  it('applies environment overrides; the Greengrass thing name only fills a missing tower id', () => {
    const path = file('edge.yaml', 'sensors: []\n');
    const env = {
      AWS_IOT_THING_NAME: 'thing-7',
      TOWERWATCH_BATCH_MAX_BYTES: '16384',
      TOWERWATCH_SYSFS_ROOT: '/tmp/sys',
    };
    expect(loadEdgeConfig({ file: path, env })).toMatchObject({
      towerId: 'thing-7',
      sysfsRoot: '/tmp/sys',
      batching: { maxBytes: 16384 },
    });
    expect(loadEdgeConfig({ file: file('b.yaml', 'towerId: mine\n'), env }).towerId).toBe('mine');
    expect(
      loadEdgeConfig({ file: file('c.yaml', 'towerId: mine\n'), env: { TOWERWATCH_TOWER_ID: 'forced' } })
        .towerId,
    ).toBe('forced');
  });

  it('accepts Greengrass configuration where numbers and booleans arrive as strings', () => {
    const config = loadEdgeConfig({
      greengrass: {
        towerId: 'gg-tower',
        sensors: {
          '0': {
            id: 'rh',
            kind: 'humidity',
            source: 'iio',
            device: 'bme280',
            channel: 'humidityrelative',
            intervalMs: '2000',
            enabled: 'false',
          },
        },
        tunable: { rules: { humidity: { high: { warning: '80' }, debounce: { k: '2', n: '4' } } } },
        batching: { maxBytes: '10240' },
      },
    });
    expect(config.sensors[0]).toMatchObject({ id: 'rh', intervalMs: 2000, enabled: false });
    expect(config.tunable.rules?.humidity).toEqual({ high: { warning: 80 }, debounce: { k: 2, n: 4 } });
    expect(config.batching.maxBytes).toBe(10240);
  });

  it('names the field and the fix for a bad value', () => {
    const cases: [unknown, string][] = [
      [{ sensors: [] }, 'config.towerId: is missing (set it to a string)'],
      [
        {
          towerId: 't',
          sensors: [
            { id: 'a', kind: 'temperature', source: 'simulated', profile: 'temperature', intervalMs: 'abc' },
          ],
        },
        'config.sensors.0.intervalMs: expected a number, got something that is not a number (set it to a number)',
      ],
      [
        {
          towerId: 't',
          sensors: [
            { id: 'a', kind: 'temperature', source: 'simulated', profile: 'temperature', intervalMs: 50 },
          ],
        },
        'config.sensors.0.intervalMs: Too small: expected number to be >=100 (use a value of at least 100)',
      ],
      [
        { towerId: 't', sensors: [{ id: 'a', kind: 'temperature', source: 'serial' }] },
        "config.sensors.0.source: Invalid discriminator value. Expected 'simulated' | 'hwmon' | 'w1' | 'iio' | 'modbus' (use one of simulated, hwmon, w1, iio, modbus)",
      ],
      [{ towerId: 't', batchin: {} }, 'config: unknown field batchin (remove it or fix its spelling)'],
      [
        { towerId: 'bad tower' },
        'config.towerId: tower id must be 1-64 characters of A-Z a-z 0-9 _ - (change the value to follow that rule)',
      ],
    ];
    for (const [greengrass, message] of cases)
      expect(errorOf(() => loadEdgeConfig({ greengrass })).message).toBe(message);
  });

  it('refuses duplicate sensor ids and says how many problems follow', () => {
    const sim = { kind: 'temperature', source: 'simulated', profile: 'temperature' };
    const e = errorOf(() =>
      loadEdgeConfig({
        greengrass: {
          towerId: 't',
          sensors: [
            { id: 'a', ...sim },
            { id: 'a', ...sim },
          ],
          sysfsRoot: '',
        },
      }),
    );
    expect(e.message).toMatch(
      /^config\.sensors\.1\.id: duplicate sensor id a .*1 more problem after this\)$/,
    );
  });

  it('says when the file is missing or not parseable', () => {
    expect(errorOf(() => loadEdgeConfig({ file: join(dir, 'nope.yaml') })).message).toBe(
      `config.file: cannot read ${join(dir, 'nope.yaml')}: ENOENT (check the --config path)`,
    );
    expect(errorOf(() => loadEdgeConfig({ file: file('x.json', '{"towerId":') })).message).toMatch(
      /^config\.file: .*x\.json is not valid JSON: .* \(fix the syntax\)$/,
    );
    expect(errorOf(() => loadEdgeConfig({ file: file('x.yaml', 'a: [1,\n') })).message).toMatch(
      /is not valid YAML/,
    );
    expect(errorOf(() => loadEdgeConfig({ file: file('list.yaml', '- 1\n') })).message).toBe(
      'config: the configuration must be an object of fields (see the README example)',
    );
  });
});
