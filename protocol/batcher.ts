import { encodeMessage } from './codec.js';
import { ProtocolError } from './errors.js';
import { assertTowerId } from './ids.js';
import { IOT } from './limits.js';
import { SCHEMA_VERSION } from './schemas/common.js';
import { QUALITY, type Reading, type TelemetryBatch } from './schemas/telemetry.js';

/** Width reserved for seq and sentAt while the batch is open, so a sealed batch is never larger than predicted. */
const SEQ_RESERVE = String(Number.MAX_SAFE_INTEGER).length;
const TIME_RESERVE = 13;

export interface BatchBuilderOptions {
  towerId: string;
  /** Encoded size limit of one batch. Default: one 5 KB billing unit. */
  maxBytes?: number;
}

/**
 * Packs readings into one telemetry batch, tracking the encoded size exactly as it grows so the
 * batch fills its billing unit without ever crossing `maxBytes` (no trial serialisation per add).
 */
export class TelemetryBatchBuilder {
  readonly towerId: string;
  readonly maxBytes: number;
  private sensors: string[] = [];
  private sensorIndex = new Map<string, number>();
  private readings: TelemetryBatch['readings'] = [];
  private t0 = 0;
  private fixedBytes: number;
  private variableBytes = 0;

  constructor(options: BatchBuilderOptions) {
    this.towerId = assertTowerId(options.towerId);
    this.maxBytes = options.maxBytes ?? IOT.billingUnitBytes;
    if (this.maxBytes < 256 || this.maxBytes > IOT.maxPayloadBytes) {
      throw new ProtocolError(
        `maxBytes ${this.maxBytes} out of range`,
        'maxBytes',
        `use 256..${IOT.maxPayloadBytes}`,
      );
    }
    // {"schema":1,"towerId":"…","seq":…,"sentAt":…,"t0":…,"sensors":[],"readings":[]}
    this.fixedBytes =
      `{"schema":${SCHEMA_VERSION},"towerId":${JSON.stringify(this.towerId)},"seq":,"sentAt":,"t0":,"sensors":[],"readings":[]}`
        .length +
      SEQ_RESERVE +
      TIME_RESERVE * 2;
  }

  get count(): number {
    return this.readings.length;
  }

  /** Upper bound of the encoded size of the batch as it stands. */
  get bytes(): number {
    return this.fixedBytes + this.variableBytes;
  }

  /** Time of the first reading in the open batch, for max-age flushing. */
  get firstReadingTime(): number | undefined {
    return this.readings.length ? this.t0 : undefined;
  }

  /**
   * Adds a reading when it fits. Returns false (and adds nothing) when the batch is full; the caller
   * seals and retries on a new batch. Throws for a value JSON cannot carry.
   */
  add(reading: Reading): boolean {
    const { value } = reading;
    if (value !== null && !Number.isFinite(value)) {
      throw new ProtocolError(
        `reading ${reading.sensorId} has non-finite value ${value}`,
        'value',
        'report it as quality bad with value null',
      );
    }
    const quality = value === null ? QUALITY.bad : reading.quality ? QUALITY[reading.quality] : QUALITY.good;
    const first = this.readings.length === 0;
    const t0 = first ? reading.time : this.t0;
    const dt = reading.time - t0;
    let index = this.sensorIndex.get(reading.sensorId);
    let sensorBytes = 0;
    if (index === undefined) {
      index = this.sensors.length;
      sensorBytes = reading.sensorId.length + 2 + (this.sensors.length ? 1 : 0);
    }
    const compact: TelemetryBatch['readings'][number] =
      quality === QUALITY.good ? [index, dt, value as number] : [index, dt, value, quality as 1 | 2];
    const readingBytes =
      (this.readings.length ? 1 : 0) +
      2 +
      String(index).length +
      1 +
      String(dt).length +
      1 +
      String(value).length +
      (compact.length === 4 ? 2 : 0);
    if (this.bytes + sensorBytes + readingBytes > this.maxBytes) {
      if (first) {
        throw new ProtocolError(
          `a single reading does not fit in ${this.maxBytes} bytes`,
          'maxBytes',
          'raise batching.maxBytes',
        );
      }
      return false;
    }
    if (first) this.t0 = t0;
    if (sensorBytes) {
      this.sensors.push(reading.sensorId);
      this.sensorIndex.set(reading.sensorId, index);
    }
    this.readings.push(compact);
    this.variableBytes += sensorBytes + readingBytes;
    return true;
  }

  /** Closes the batch with its sequence number and send time, and starts an empty one. */
  seal(seq: number, sentAt: number): TelemetryBatch {
    if (this.readings.length === 0) throw new ProtocolError('cannot seal an empty batch', 'readings');
    const batch: TelemetryBatch = {
      schema: SCHEMA_VERSION,
      towerId: this.towerId,
      seq,
      sentAt,
      t0: this.t0,
      sensors: this.sensors,
      readings: this.readings,
    };
    this.sensors = [];
    this.sensorIndex = new Map();
    this.readings = [];
    this.variableBytes = 0;
    return batch;
  }
}

export interface PackOptions extends BatchBuilderOptions {
  firstSeq: number;
  sentAt: number;
}

/** Packs a list of readings into as few batches of at most `maxBytes` as order allows. */
export function packReadings(readings: readonly Reading[], options: PackOptions): TelemetryBatch[] {
  const builder = new TelemetryBatchBuilder(options);
  const batches: TelemetryBatch[] = [];
  let seq = options.firstSeq;
  for (const reading of readings) {
    if (!builder.add(reading)) {
      batches.push(builder.seal(seq++, options.sentAt));
      builder.add(reading);
    }
  }
  if (builder.count) batches.push(builder.seal(seq, options.sentAt));
  return batches;
}

/** Size check used by tests and callers that want the exact figure after sealing. */
export function encodedBytes(batch: TelemetryBatch): number {
  return encodeMessage(batch).bytes;
}
