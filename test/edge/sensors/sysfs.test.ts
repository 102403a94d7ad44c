import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HwmonSensorSchema,
  IioSensorSchema,
  type SensorKind,
  W1SensorSchema,
} from '../../../protocol/index.js';
import {
  discoverHwmon,
  HwmonSource,
  IioSource,
  parseW1Slave,
  SensorReadError,
  W1Source,
} from '../../../edge/src/sensors/index.js';

let root: string;

function put(path: string, content: string): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'towerwatch-sysfs-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const hwmon = (chip: string, channel: string, kind: SensorKind = 'temperature') =>
  new HwmonSource(
    HwmonSensorSchema.parse({ id: `hw-${channel.replace(/\W/g, '')}`, kind, source: 'hwmon', chip, channel }),
    root,
  );

describe('hwmon', () => {
  beforeEach(() => {
    put('class/hwmon/hwmon0/name', 'acpitz\n');
    put('class/hwmon/hwmon0/temp1_input', '27800\n');
    put('class/hwmon/hwmon3/name', 'ina3221\n');
    put('class/hwmon/hwmon3/in1_input', '53612\n');
    put('class/hwmon/hwmon3/in1_label', 'DC bus\n');
    put('class/hwmon/hwmon3/curr1_input', '12450\n');
    put('class/hwmon/hwmon3/power1_input', '667500000\n');
    put('class/hwmon/hwmon4/name', 'sht3x\n');
    put('class/hwmon/hwmon4/humidity1_input', '45300\n');
    put('class/hwmon/hwmon4/temp1_input', '-5250\n');
  });

  it('reads each channel type in its unit', async () => {
    expect(await hwmon('acpitz', 'temp1').read()).toBe(27.8);
    expect(await hwmon('ina3221', 'in1', 'voltage').read()).toBe(53.612);
    expect(await hwmon('ina3221', 'curr1', 'current').read()).toBe(12.45);
    expect(await hwmon('ina3221', 'power1', 'power').read()).toBe(667.5);
    expect(await hwmon('sht3x', 'humidity1', 'humidity').read()).toBe(45.3);
    expect(await hwmon('sht3x', 'temp1').read()).toBe(-5.25);
  });

  it('finds a channel by its label and a chip by its directory', async () => {
    expect(await hwmon('ina3221', 'DC bus', 'voltage').read()).toBe(53.612);
    expect(await hwmon('hwmon0', 'temp1').read()).toBe(27.8);
  });

  it('lists what it can read', async () => {
    const found = await discoverHwmon(root);
    expect(found.map((c) => `${c.chip}/${c.channel}${c.label ? `(${c.label})` : ''}`)).toEqual([
      'acpitz/temp1',
      'ina3221/curr1',
      'ina3221/in1(DC bus)',
      'ina3221/power1',
      'sht3x/humidity1',
      'sht3x/temp1',
    ]);
  });

  it('fails clearly for a missing channel and follows a renumbered chip', async () => {
    await expect(hwmon('acpitz', 'temp9').read()).rejects.toThrow(/hwmon chip acpitz has no channel temp9/);
    const source = hwmon('sht3x', 'humidity1', 'humidity');
    expect(await source.read()).toBe(45.3);
    renameSync(join(root, 'class/hwmon/hwmon4'), join(root, 'class/hwmon/hwmon7'));
    await expect(source.read()).rejects.toThrow(SensorReadError);
    expect(await source.read()).toBe(45.3);
  });

  it('rejects a garbled value', async () => {
    put('class/hwmon/hwmon0/temp1_input', 'garbage\n');
    await expect(hwmon('acpitz', 'temp1').read()).rejects.toThrow(/not a number/);
  });
});

describe('1-Wire DS18B20', () => {
  const device = '28-0316a2791eff';
  const source = () =>
    new W1Source(W1SensorSchema.parse({ id: 'temp-w1', kind: 'temperature', source: 'w1', device }), root);
  const slave = (crc: string, t: string) =>
    `72 01 4b 46 7f ff 0e 10 57 : crc=57 ${crc}\n72 01 4b 46 7f ff 0e 10 57 t=${t}\n`;

  it('reads a good conversion', async () => {
    put(`bus/w1/devices/${device}/w1_slave`, slave('YES', '23125'));
    expect(await source().read()).toBe(23.125);
    put(`bus/w1/devices/${device}/w1_slave`, slave('YES', '-10062'));
    expect(await source().read()).toBe(-10.062);
  });

  it('rejects a failed CRC and the 85 °C power-on value', async () => {
    put(`bus/w1/devices/${device}/w1_slave`, slave('NO', '23125'));
    await expect(source().read()).rejects.toThrow(/CRC check failed/);
    put(`bus/w1/devices/${device}/w1_slave`, slave('YES', '85000'));
    await expect(source().read()).rejects.toThrow(/power-on value/);
  });

  it('rejects a missing device and a garbled file', async () => {
    await expect(source().read()).rejects.toThrow(/cannot read .*w1_slave: ENOENT/);
    expect(parseW1Slave('')).toEqual({ error: 'CRC check failed (line 1 does not end in YES)' });
    expect(parseW1Slave('aa : crc=57 YES\nbb\n')).toEqual({ error: 'no t= value in w1_slave' });
  });

  it('refuses a device id that is not a DS18B20 in config', () => {
    expect(
      W1SensorSchema.safeParse({ id: 'x', kind: 'temperature', source: 'w1', device: '10-abc' }).success,
    ).toBe(false);
  });
});

describe('IIO', () => {
  const iio = (device: string, channel: string, kind: SensorKind = 'temperature') =>
    new IioSource(
      IioSensorSchema.parse({ id: `iio-${channel}`, kind, source: 'iio', device, channel }),
      root,
    );

  it('reads a processed input in milli-units', async () => {
    put('bus/iio/devices/iio:device0/name', 'bme280\n');
    put('bus/iio/devices/iio:device0/in_temp_input', '24510\n');
    put('bus/iio/devices/iio:device0/in_humidityrelative_input', '47250\n');
    expect(await iio('iio:device0', 'temp').read()).toBe(24.51);
    expect(await iio('bme280', 'humidityrelative', 'humidity').read()).toBe(47.25);
  });

  it('computes (raw + offset) * scale from the channel or the type', async () => {
    put('bus/iio/devices/iio:device1/name', 'ads1015\n');
    put('bus/iio/devices/iio:device1/in_temp_raw', '1000\n');
    put('bus/iio/devices/iio:device1/in_temp_scale', '10\n');
    put('bus/iio/devices/iio:device1/in_temp_offset', '1500\n');
    expect(await iio('ads1015', 'temp').read()).toBe(25);
    put('bus/iio/devices/iio:device1/in_voltage2_raw', '1340\n');
    put('bus/iio/devices/iio:device1/in_voltage_scale', '2.000000\n');
    expect(await iio('ads1015', 'voltage2', 'voltage').read()).toBe(2.68);
  });

  it('fails clearly for an unknown device or channel', async () => {
    put('bus/iio/devices/iio:device0/name', 'bme280\n');
    await expect(iio('sht4x', 'temp').read()).rejects.toThrow(/no IIO device sht4x/);
    await expect(iio('bme280', 'pressure').read()).rejects.toThrow(/in_pressure_raw: ENOENT/);
  });
});
