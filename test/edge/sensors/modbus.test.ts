import { once } from 'node:events';
import { createServer } from 'node:net';
import ModbusRTU from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModbusRegister, ModbusRegisterSchema, ModbusSensorSchema } from '../../../protocol/index.js';
import {
  decodeRegisters,
  type ModbusClient,
  ModbusLinkPool,
  ModbusSource,
  SensorReadError,
} from '../../../edge/src/sensors/index.js';

const reg = (r: Partial<ModbusRegister> & { address: number }) => ModbusRegisterSchema.parse(r);

function floatWords(x: number): [number, number] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(x, 0);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}

describe('decodeRegisters', () => {
  it('decodes every value type and word order, then scales', () => {
    expect(decodeRegisters([0xfb2e], reg({ address: 0, type: 'int16' }))).toBe(-1234);
    expect(decodeRegisters([0xfb2e], reg({ address: 0, type: 'uint16' }))).toBe(64302);
    expect(decodeRegisters([0x0001, 0x86a0], reg({ address: 0, type: 'int32' }))).toBe(100_000);
    expect(decodeRegisters([0x86a0, 0x0001], reg({ address: 0, type: 'int32', wordOrder: 'little' }))).toBe(
      100_000,
    );
    expect(decodeRegisters([0xffff, 0xfffe], reg({ address: 0, type: 'int32' }))).toBe(-2);
    expect(decodeRegisters([0xffff, 0xfffe], reg({ address: 0, type: 'uint32' }))).toBe(4_294_967_294);
    expect(decodeRegisters(floatWords(53.5), reg({ address: 0, type: 'float32' }))).toBe(53.5);
    expect(decodeRegisters([650], reg({ address: 0, scale: 0.1, offset: -40 }))).toBe(25);
  });

  it('refuses too few registers', () => {
    expect(() => decodeRegisters([1], reg({ address: 0, type: 'float32' }))).toThrow(/expected 2 registers/);
  });
});

/** modbus-serial's ServerTCP treats port 0 as "use 502", so ask the OS for a free loopback port first. */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

describe('Modbus TCP against modbus-serial ServerTCP on loopback', () => {
  const holding = new Map<number, number>([
    [0, 0xfb2e],
    [10, 0x0001],
    [11, 0x86a0],
    [20, 0x86a0],
    [21, 0x0001],
    [30, floatWords(53.6)[0]],
    [31, floatWords(53.6)[1]],
  ]);
  const input = new Map<number, number>([[5, 4521]]);
  let server: InstanceType<typeof ModbusRTU.ServerTCP>;
  let port: number;
  const pool = new ModbusLinkPool();

  beforeAll(async () => {
    port = await freePort();
    server = new ModbusRTU.ServerTCP(
      {
        getHoldingRegister: (addr: number, unitID: number) => {
          if (unitID === 2 && addr === 0) return 7;
          const v = holding.get(addr);
          if (v === undefined) throw Object.assign(new Error('illegal address'), { modbusErrorCode: 0x02 });
          return v;
        },
        getInputRegister: (addr: number) => input.get(addr) ?? 0,
      },
      { host: '127.0.0.1', port, unitID: 255 },
    );
    await once(server, 'initialized');
  });

  afterAll(async () => {
    await pool.closeAll();
    await new Promise((r) => server.close(r));
  });

  const source = (id: string, register: Record<string, unknown>, unitId = 1) =>
    new ModbusSource(
      ModbusSensorSchema.parse({
        id,
        kind: 'generic',
        source: 'modbus',
        unitId,
        connection: { kind: 'tcp', host: '127.0.0.1', port },
        register,
        timeoutMs: 2000,
      }),
      pool.get({ kind: 'tcp', host: '127.0.0.1', port }, 2000),
    );

  it('reads each register type over one shared connection', async () => {
    const sources = [
      source('i16', { address: 0 }),
      source('i32', { address: 10, type: 'int32' }),
      source('i32le', { address: 20, type: 'int32', wordOrder: 'little' }),
      source('f32', { address: 30, type: 'float32' }),
      source('rh', { address: 5, table: 'input', type: 'uint16', scale: 0.01 }),
    ];
    const values = await Promise.all(sources.map((s) => s.read()));
    expect(values.slice(0, 3)).toEqual([-1234, 100_000, 100_000]);
    expect(values[3]).toBeCloseTo(53.6, 5);
    expect(values[4]).toBeCloseTo(45.21, 10);
  });

  it('addresses the configured unit id', async () => {
    expect(await source('unit2', { address: 0, type: 'uint16' }, 2).read()).toBe(7);
  });

  it('turns a Modbus exception into a SensorReadError and keeps working', async () => {
    await expect(source('bad', { address: 999 }).read()).rejects.toThrow(SensorReadError);
    await expect(source('bad', { address: 999 }).read()).rejects.toThrow(/register 999/);
    expect(await source('i16', { address: 0 }).read()).toBe(-1234);
  });

  it('fails cleanly when nothing listens', async () => {
    const deadPort = await freePort();
    const dead = new ModbusLinkPool();
    const s = new ModbusSource(
      ModbusSensorSchema.parse({
        id: 'dead',
        kind: 'generic',
        source: 'modbus',
        connection: { kind: 'tcp', host: '127.0.0.1', port: deadPort },
        register: { address: 0 },
      }),
      dead.get({ kind: 'tcp', host: '127.0.0.1', port: deadPort }, 1000),
    );
    await expect(s.read()).rejects.toThrow(SensorReadError);
    await dead.closeAll();
  });
});

describe('Modbus RTU', () => {
  it('opens the serial line with the configured framing and reads through it', async () => {
    const calls: unknown[] = [];
    const fake: ModbusClient = {
      isOpen: false,
      connectRTUBuffered(path, options) {
        calls.push(['connect', path, options]);
        this.isOpen = true;
        return Promise.resolve();
      },
      connectTCP: () => Promise.reject(new Error('not tcp')),
      setID: (id) => calls.push(['id', id]),
      setTimeout: (ms) => calls.push(['timeout', ms]),
      readHoldingRegisters: (address, length) => {
        calls.push(['read', address, length]);
        return Promise.resolve({ data: [0x0000, 0x4248] });
      },
      readInputRegisters: () => Promise.reject(new Error('unused')),
      close(cb) {
        this.isOpen = false;
        cb();
      },
    };
    const def = ModbusSensorSchema.parse({
      id: 'rect-temp',
      kind: 'temperature',
      source: 'modbus',
      unitId: 17,
      timeoutMs: 500,
      connection: { kind: 'rtu', path: '/dev/ttyUSB0', baudRate: '19200', parity: 'even' },
      register: { address: 100, type: 'float32', wordOrder: 'little' },
    });
    const pool = new ModbusLinkPool(() => fake);
    const s = new ModbusSource(def, pool.get(def.connection, def.timeoutMs));
    expect(await s.read()).toBe(50);
    expect(calls).toEqual([
      ['connect', '/dev/ttyUSB0', { baudRate: 19200, parity: 'even', dataBits: 8, stopBits: 1 }],
      ['timeout', 500],
      ['id', 17],
      ['read', 100, 2],
    ]);
    await pool.closeAll();
    expect(fake.isOpen).toBe(false);
  });
});
