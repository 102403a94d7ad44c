import type { IioSensor, SensorKind } from '../../../../protocol/index.js';
import { SensorReadError } from '../errors.js';
import type { SensorSource } from '../types.js';
import { listDir, readNumberFile, readOptionalNumber, readOptionalText } from './read.js';

/** IIO reports these channel types in milli-units (m°C, m%RH, mV, mA); others in their base unit. */
const MILLI_TYPES = new Set(['temp', 'humidityrelative', 'voltage', 'current']);

/**
 * A Linux IIO channel: `in_<channel>_input` when the driver gives a processed value, otherwise
 * `(in_<channel>_raw + offset) * scale` with per-channel or per-type `_scale`/`_offset`.
 */
export class IioSource implements SensorSource {
  readonly id: string;
  readonly kind: SensorKind;
  private deviceDir: string | undefined;

  constructor(
    private readonly def: IioSensor,
    private readonly root: string,
  ) {
    this.id = def.id;
    this.kind = def.kind;
  }

  async read(signal?: AbortSignal): Promise<number> {
    this.deviceDir ??= await this.resolveDevice();
    const channel = this.def.channel;
    const type = channel.replace(/\d+$/, '');
    const divisor = MILLI_TYPES.has(type) ? 1000 : 1;
    const at = (suffix: string) => `${this.deviceDir}/in_${channel}_${suffix}`;
    const processed = await readOptionalNumber(at('input'), this.id);
    if (processed !== undefined) return processed / divisor;
    const raw = await readNumberFile(at('raw'), this.id, signal);
    const shared = (suffix: string) => `${this.deviceDir}/in_${type}_${suffix}`;
    const scale =
      (await readOptionalNumber(at('scale'), this.id)) ??
      (await readOptionalNumber(shared('scale'), this.id)) ??
      1;
    const offset =
      (await readOptionalNumber(at('offset'), this.id)) ??
      (await readOptionalNumber(shared('offset'), this.id)) ??
      0;
    return ((raw + offset) * scale) / divisor;
  }

  private async resolveDevice(): Promise<string> {
    const base = `${this.root}/bus/iio/devices`;
    const { device } = this.def;
    const entries = await listDir(base);
    if (entries.includes(device)) return `${base}/${device}`;
    for (const entry of entries) {
      if ((await readOptionalText(`${base}/${entry}/name`)) === device) return `${base}/${entry}`;
    }
    throw new SensorReadError(this.id, `no IIO device ${device} under ${base}`);
  }
}
