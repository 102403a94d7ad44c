import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  billedUnits,
  decodeAlert,
  decodeDeviceMessage,
  decodeTelemetry,
  encodeAlert,
  encodedBytes,
  encodeMessage,
  EpochMsSchema,
  expandReadings,
  IOT,
  PayloadTooLargeError,
  packReadings,
  type Reading,
  TelemetryBatchBuilder,
  TelemetryBatchSchema,
  UnknownSchemaVersionError,
} from '../../protocol/index.js';

const T = 1_763_900_000_000;
const EPOCH_MS_MIN = EpochMsSchema.minValue!;
const EPOCH_MS_MAX = EpochMsSchema.maxValue!;
const alert: Alert = {
  schema: 1,
  towerId: 't1',
  alertId: 'a-1',
  state: 'raise',
  severity: 'critical',
  rule: 'threshold-high',
  sensorId: 'temp-cabinet',
  value: 47.5,
  threshold: 45,
  time: T,
};

function towerReadings(count: number, sensors = 8): Reading[] {
  return Array.from({ length: count }, (_, i) => ({
    sensorId: `sensor-${i % sensors}`,
    time: T + Math.floor(i / sensors) * 1000,
    value: Math.round((20 + Math.sin(i) * 5) * 100) / 100,
  }));
}

describe('codec', () => {
  it('counts bytes and billed 5 KB units', () => {
    expect(billedUnits(1)).toBe(1);
    expect(billedUnits(5120)).toBe(1);
    expect(billedUnits(5121)).toBe(2);
    const enc = encodeAlert(alert);
    expect(enc.bytes).toBe(Buffer.byteLength(enc.payload));
    expect(decodeAlert(enc.payload)).toEqual(alert);
  });

  it('refuses oversize payloads on both sides', () => {
    expect(() => encodeMessage({ x: 'y'.repeat(IOT.maxPayloadBytes) })).toThrow(PayloadTooLargeError);
    expect(() => decodeAlert('x'.repeat(IOT.maxPayloadBytes + 1))).toThrow(PayloadTooLargeError);
  });

  it('rejects unknown schema versions, bad JSON and non-objects with the field named', () => {
    expect(() => decodeAlert(JSON.stringify({ ...alert, schema: 2 }))).toThrow(UnknownSchemaVersionError);
    expect(() => decodeAlert('{"schema":')).toThrow(/not JSON/);
    expect(() => decodeAlert('[1]')).toThrow(/JSON object/);
    expect(() => decodeAlert(JSON.stringify({ ...alert, severity: 'meh' }))).toThrow(/severity/);
    expect(() => decodeAlert(JSON.stringify({ ...alert, towerId: 'a b' }))).toThrow(/towerId/);
    expect(() => decodeAlert(JSON.stringify({ ...alert, time: 1_763_900_000 }))).toThrow(
      /epoch milliseconds/,
    );
  });

  it('refuses NaN and Infinity: the builder throws, a null on the wire needs quality bad', () => {
    const b = new TelemetryBatchBuilder({ towerId: 't1' });
    expect(() => b.add({ sensorId: 's', time: T, value: Number.NaN })).toThrow(/non-finite/);
    expect(() => b.add({ sensorId: 's', time: T, value: Number.POSITIVE_INFINITY })).toThrow(/non-finite/);
    const batch = {
      schema: 1,
      towerId: 't1',
      seq: 1,
      sentAt: T,
      t0: T,
      sensors: ['s'],
      readings: [[0, 0, null]],
    };
    expect(() => decodeTelemetry(JSON.stringify(batch))).toThrow(/quality/);
    // what JSON.stringify makes of NaN is a null without a quality flag: still refused
    expect(() => decodeTelemetry(JSON.stringify({ ...batch, readings: [[0, 0, Number.NaN]] }))).toThrow();
    expect(() =>
      decodeTelemetry(
        '{"schema":1,"towerId":"t1","seq":1,"sentAt":1,"t0":1,"sensors":["s"],"readings":[[0,0,1e999]]}',
      ),
    ).toThrow();
    expect(() => decodeTelemetry(JSON.stringify({ ...batch, readings: [[3, 0, 1]] }))).toThrow(
      /out of range/,
    );
  });

  it('round-trips readings through builder, encoder and decoder with quality flags', () => {
    const readings: Reading[] = [
      { sensorId: 'temp', time: T, value: 21.5 },
      { sensorId: 'rh', time: T + 5, value: 40 },
      { sensorId: 'temp', time: T - 20, value: null },
      { sensorId: 'rh', time: T + 1000, value: 41, quality: 'uncertain' },
    ];
    const [batch, ...rest] = packReadings(readings, { towerId: 't1', firstSeq: 9, sentAt: T + 2000 });
    expect(rest).toEqual([]);
    const decoded = decodeDeviceMessage('telemetry', encodeMessage(batch).payload);
    expect(decoded.type).toBe('telemetry');
    const batches = decodeTelemetry(encodeMessage(batch).payload);
    expect(batches[0]!.seq).toBe(9);
    expect(expandReadings(batches[0]!)).toEqual([
      readings[0],
      readings[1],
      { sensorId: 'temp', time: T - 20, value: null, quality: 'bad' },
      readings[3],
    ]);
  });

  it('refuses a reading offset that puts the reading outside the epoch-ms range, naming the field', () => {
    const batch = {
      schema: 1,
      towerId: 't1',
      seq: 1,
      sentAt: T,
      t0: T,
      sensors: ['s'],
      readings: [[0, 0, 1]],
    };
    for (const offset of [-9e15, 9e15, EPOCH_MS_MIN - T - 1, EPOCH_MS_MAX - T + 1]) {
      expect(() => decodeTelemetry(JSON.stringify({ ...batch, readings: [[0, offset, 1]] }))).toThrow(
        /readings\.0\.1: .*epoch/,
      );
    }
    expect(
      decodeTelemetry(
        JSON.stringify({
          ...batch,
          readings: [
            [0, EPOCH_MS_MIN - T, 1],
            [0, EPOCH_MS_MAX - T, 2],
          ],
        }),
      ),
    ).toHaveLength(1);
  });

  it('every reading the schema accepts has a valid date inside the epoch-ms range (property)', () => {
    const epoch = fc.integer({ min: EPOCH_MS_MIN, max: EPOCH_MS_MAX });
    const offset = fc.oneof(
      fc.integer({ min: -(EPOCH_MS_MAX - EPOCH_MS_MIN), max: EPOCH_MS_MAX - EPOCH_MS_MIN }),
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      fc.double({ noNaN: true, min: -1e17, max: 1e17 }),
    );
    fc.assert(
      fc.property(epoch, fc.array(offset, { minLength: 1, maxLength: 5 }), (t0, offsets) => {
        const parsed = TelemetryBatchSchema.safeParse({
          schema: 1,
          towerId: 't1',
          seq: 1,
          sentAt: t0,
          t0,
          sensors: ['s'],
          readings: offsets.map((o) => [0, o, 1]),
        });
        if (!parsed.success) return;
        for (const r of expandReadings(parsed.data)) {
          expect(Number.isNaN(new Date(r.time).getTime())).toBe(false);
          expect(EpochMsSchema.safeParse(r.time).success).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes a bundle into its batches, keeping each seq', () => {
    const batches = packReadings(towerReadings(2000), { towerId: 't1', firstSeq: 100, sentAt: T });
    const bundle = { schema: 1, towerId: 't1', sentAt: T, batches: batches.slice(0, 3) };
    expect(decodeTelemetry(JSON.stringify(bundle)).map((b) => b.seq)).toEqual([100, 101, 102]);
    const foreign = { ...bundle, batches: [{ ...batches[0], towerId: 't2' }] };
    expect(() => decodeTelemetry(JSON.stringify(foreign))).toThrow(/mixes/);
  });
});

describe('TelemetryBatchBuilder', () => {
  it('never exceeds maxBytes and predicts the size from above', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            sensorId: fc.constantFrom('t', 'rh', 'voltage-main', 'door.front', 'vib:x'),
            time: fc.integer({ min: T - 60_000, max: T + 600_000 }),
            value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)),
          }),
          { minLength: 1, maxLength: 600 },
        ),
        fc.integer({ min: 300, max: 20_000 }),
        (readings, maxBytes) => {
          const batches = packReadings(readings as Reading[], {
            towerId: 'tower-42',
            maxBytes,
            firstSeq: Number.MAX_SAFE_INTEGER - 1000,
            sentAt: T,
          });
          const total = batches.reduce((n, b) => n + b.readings.length, 0);
          expect(total).toBe(readings.length);
          for (const b of batches) expect(encodedBytes(b)).toBeLessThanOrEqual(maxBytes);
          expect(batches.flatMap(expandReadings).map((r) => r.value)).toEqual(readings.map((r) => r.value));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('fills a 5 KB billing unit with well over 100 readings of an 8-sensor tower', () => {
    const batches = packReadings(towerReadings(5000), { towerId: 'tower-0001', firstSeq: 1, sentAt: T });
    const full = batches.slice(0, -1);
    for (const b of full) {
      const bytes = encodedBytes(b);
      expect(billedUnits(bytes)).toBe(1);
      expect(bytes).toBeGreaterThan(IOT.billingUnitBytes - 64);
      expect(b.readings.length).toBeGreaterThanOrEqual(100);
    }
  });

  it('refuses a maxBytes outside the IoT payload limit and a reading that cannot fit', () => {
    expect(() => new TelemetryBatchBuilder({ towerId: 't', maxBytes: IOT.maxPayloadBytes + 1 })).toThrow(
      /maxBytes/,
    );
    const b = new TelemetryBatchBuilder({ towerId: 'x'.repeat(64), maxBytes: 256 });
    expect(() => b.add({ sensorId: 'x'.repeat(64), time: T, value: 1.234567891234 })).toThrow(/does not fit/);
  });
});
