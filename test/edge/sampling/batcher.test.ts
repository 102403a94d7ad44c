import { describe, expect, it } from 'vitest';
import { encodedBytes, expandReadings, type Reading, TelemetryBatchSchema } from '../../../protocol/index.js';
import { BatchAssembler, VirtualTime } from '../../../edge/src/sampling/index.js';
import { counterSeq, MemorySink } from '../monitor/memory.js';

const T0 = Date.UTC(2026, 10, 23, 12);

function assembler(
  vt: VirtualTime,
  sink: MemorySink,
  limits = { maxBytes: 5120, maxAgeMs: 10_000 },
  errors: unknown[] = [],
) {
  return new BatchAssembler({
    towerId: 'tower-1',
    ...limits,
    sink,
    seq: counterSeq(41),
    clock: vt,
    timers: vt,
    onSinkError: (e) => errors.push(e),
  });
}

const reading = (i: number, sensors = 8): Reading => ({
  sensorId: `sensor-${i % sensors}`,
  time: T0 + Math.floor(i / sensors) * 1000,
  value: Math.round((20 + Math.sin(i) * 5) * 100) / 100,
});

describe('BatchAssembler', () => {
  it('fills batches up to maxBytes and numbers them from the sequence source', async () => {
    const vt = new VirtualTime(T0);
    const sink = new MemorySink();
    const b = assembler(vt, sink);
    const readings = Array.from({ length: 2000 }, (_, i) => reading(i));
    for (const r of readings) b.add(r);
    b.flush();
    await b.drain();
    expect(sink.batches.length).toBeGreaterThan(3);
    expect(sink.batches.map((x) => x.seq)).toEqual(sink.batches.map((_, i) => 42 + i));
    for (const batch of sink.batches) {
      expect(encodedBytes(batch)).toBeLessThanOrEqual(5120);
      TelemetryBatchSchema.parse(batch);
    }
    // All but the last are full: another reading would not have fitted.
    expect(encodedBytes(sink.batches[0]!)).toBeGreaterThan(5120 - 40);
    expect(sink.batches.flatMap(expandReadings)).toEqual(readings);
    expect(b.stats()).toMatchObject({ batchesSealed: sink.batches.length, readingsBatched: 2000 });
  });

  it('sends a batch when its first reading reaches the max age', async () => {
    const vt = new VirtualTime(T0);
    const sink = new MemorySink();
    const b = assembler(vt, sink);
    b.add(reading(0));
    await vt.advance(9_999);
    expect(sink.batches).toHaveLength(0);
    b.add(reading(1));
    await vt.advance(1);
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]!.readings).toHaveLength(2);
    expect(sink.batches[0]!.sentAt).toBe(T0 + 10_000);
    await vt.advance(60_000);
    expect(sink.batches).toHaveLength(1);
  });

  it('carries failed reads as quality bad', async () => {
    const vt = new VirtualTime(T0);
    const sink = new MemorySink();
    const b = assembler(vt, sink);
    b.add({ sensorId: 'rh', time: T0, value: null, quality: 'bad' });
    b.flush();
    expect(sink.batches[0]!.readings[0]).toEqual([0, 0, null, 2]);
  });

  it('applies new limits from the next batch, sending the open one first', async () => {
    const vt = new VirtualTime(T0);
    const sink = new MemorySink();
    const b = assembler(vt, sink);
    b.add(reading(0));
    b.setLimits({ maxBytes: 1024, maxAgeMs: 1000 });
    expect(sink.batches).toHaveLength(1);
    for (let i = 1; i < 400; i++) b.add(reading(i));
    b.flush();
    expect(sink.batches.slice(1).every((x) => encodedBytes(x) <= 1024)).toBe(true);
    b.add(reading(500));
    await vt.advance(1000);
    expect(b.openCount).toBe(0);
  });

  it('counts a sink that refuses a batch and keeps going', async () => {
    const vt = new VirtualTime(T0);
    const sink = new MemorySink();
    const errors: unknown[] = [];
    const b = assembler(vt, sink, undefined, errors);
    sink.failTelemetry = true;
    b.add(reading(0));
    b.flush();
    await b.drain();
    sink.failTelemetry = false;
    b.add(reading(1));
    b.flush();
    await b.drain();
    expect(b.stats().sinkErrors).toBe(1);
    expect(errors).toHaveLength(1);
    expect(sink.batches).toHaveLength(1);
  });
});
