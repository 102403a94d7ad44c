import type { HwmonSensor, SensorKind } from '../../../../protocol/index.js';
import { SensorReadError } from '../errors.js';
import type { SensorSource } from '../types.js';
import { listDir, readOptionalText, readNumberFile } from './read.js';

/** Divisors from the kernel's hwmon sysfs ABI units to °C, V, A, W and %RH. */
export const HWMON_DIVISORS = { temp: 1000, in: 1000, curr: 1000, power: 1_000_000, humidity: 1000 } as const;
type HwmonType = keyof typeof HWMON_DIVISORS;

const INPUT_FILE = /^(temp|in|curr|power|humidity)(\d+)_input$/;

export const HWMON_KINDS: Record<HwmonType, SensorKind> = {
  temp: 'temperature',
  in: 'voltage',
  curr: 'current',
  power: 'power',
  humidity: 'humidity',
};

export interface HwmonChannel {
  /** Chip name from its `name` file, else its directory name. */
  chip: string;
  dir: string;
  /** File prefix, e.g. `temp1`. */
  channel: string;
  label?: string;
  type: HwmonType;
  inputPath: string;
}

/** Every readable hwmon channel under `<root>/class/hwmon`, to help write a config. */
export async function discoverHwmon(root: string): Promise<HwmonChannel[]> {
  const base = `${root}/class/hwmon`;
  const out: HwmonChannel[] = [];
  for (const dir of (await listDir(base)).sort()) {
    const path = `${base}/${dir}`;
    const chip = (await readOptionalText(`${path}/name`)) ?? dir;
    for (const file of (await listDir(path)).sort()) {
      const m = INPUT_FILE.exec(file);
      if (!m) continue;
      const channel = `${m[1]}${m[2]}`;
      const label = await readOptionalText(`${path}/${channel}_label`);
      out.push({
        chip,
        dir,
        channel,
        type: m[1] as HwmonType,
        inputPath: `${path}/${file}`,
        ...(label === undefined ? {} : { label }),
      });
    }
  }
  return out;
}

/**
 * A Linux hwmon channel chosen by chip name and channel or label. The hwmonN number can change
 * between boots, so the path is resolved on first read and again after a failed read.
 */
export class HwmonSource implements SensorSource {
  readonly id: string;
  readonly kind: SensorKind;
  private resolved: HwmonChannel | undefined;

  constructor(
    private readonly def: HwmonSensor,
    private readonly root: string,
  ) {
    this.id = def.id;
    this.kind = def.kind;
  }

  async read(signal?: AbortSignal): Promise<number> {
    this.resolved ??= await this.resolve();
    const { inputPath, type } = this.resolved;
    try {
      return (await readNumberFile(inputPath, this.id, signal)) / HWMON_DIVISORS[type];
    } catch (e) {
      this.resolved = undefined;
      throw e;
    }
  }

  private async resolve(): Promise<HwmonChannel> {
    const { chip, channel } = this.def;
    const found = (await discoverHwmon(this.root)).find(
      (c) => (c.chip === chip || c.dir === chip) && (c.channel === channel || c.label === channel),
    );
    if (!found) {
      throw new SensorReadError(
        this.id,
        `hwmon chip ${chip} has no channel ${channel} under ${this.root}/class/hwmon`,
      );
    }
    return found;
  }
}
