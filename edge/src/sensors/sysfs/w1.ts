import type { SensorKind, W1Sensor } from '../../../../protocol/index.js';
import { SensorReadError } from '../errors.js';
import type { SensorSource } from '../types.js';
import { readText } from './read.js';

/** The DS18B20 reports 85 °C from its power-on register before the first conversion: never a real reading. */
export const DS18B20_POWER_ON_MILLIC = 85_000;

/**
 * Parses the w1_therm `w1_slave` file:
 *   `72 01 4b 46 7f ff 0e 10 57 : crc=57 YES`
 *   `72 01 4b 46 7f ff 0e 10 57 t=23125`
 * Returns °C, or an error text when the CRC failed, the value is the power-on default, or the file is garbled.
 */
export function parseW1Slave(text: string): { valueC: number } | { error: string } {
  const [crcLine = '', dataLine = ''] = text.trim().split('\n');
  if (!crcLine.trim().endsWith('YES')) return { error: 'CRC check failed (line 1 does not end in YES)' };
  const m = /t=(-?\d+)\s*$/.exec(dataLine);
  if (!m) return { error: 'no t= value in w1_slave' };
  const milliC = Number(m[1]);
  if (milliC === DS18B20_POWER_ON_MILLIC)
    return { error: 'power-on value 85 °C (sensor reset or conversion not done)' };
  return { valueC: milliC / 1000 };
}

/** A DS18B20 on the 1-Wire bus, read through the kernel's w1_therm driver. */
export class W1Source implements SensorSource {
  readonly id: string;
  readonly kind: SensorKind;
  private readonly path: string;

  constructor(def: W1Sensor, root: string) {
    this.id = def.id;
    this.kind = def.kind;
    this.path = `${root}/bus/w1/devices/${def.device}/w1_slave`;
  }

  async read(signal?: AbortSignal): Promise<number> {
    const parsed = parseW1Slave(await readText(this.path, this.id, signal));
    if ('error' in parsed) throw new SensorReadError(this.id, parsed.error);
    return parsed.valueC;
  }
}
