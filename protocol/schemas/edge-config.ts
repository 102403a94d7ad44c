import * as z from 'zod';
import { SensorIdSchema, TowerIdSchema } from '../ids.js';
import {
  BatchingSchema,
  ConfigInt,
  ConfigNumber,
  ConfigShadowStateSchema,
  SensorKindSchema,
} from './config.js';
import { BufferConfigSchema, DEFAULT_CONFIRM_TIMEOUT_MS, TransportConfigSchema } from './delivery-config.js';

export const SENSOR_SOURCES = ['simulated', 'hwmon', 'w1', 'iio', 'modbus'] as const;
export const SIMULATED_PROFILES = ['temperature', 'humidity', 'voltage', 'door', 'vibration'] as const;
export const MODBUS_VALUE_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const;

export const SENSOR_DEFAULTS = { intervalMs: 1000, timeoutMs: 2000 } as const;

/** Fields every sensor definition has, whatever its source. */
const sensorBase = {
  id: SensorIdSchema,
  kind: SensorKindSchema,
  intervalMs: ConfigInt.pipe(z.number().int().min(100)).default(SENSOR_DEFAULTS.intervalMs),
  /** A read slower than this counts as a failure. */
  timeoutMs: ConfigInt.pipe(z.number().int().min(10)).default(SENSOR_DEFAULTS.timeoutMs),
  enabled: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).default(true),
};

export const SimulatedSensorSchema = z
  .object({
    ...sensorBase,
    source: z.literal('simulated'),
    profile: z.enum(SIMULATED_PROFILES),
    /** Same seed, same signal: simulated towers are reproducible. */
    seed: ConfigInt.default(1),
  })
  .strict();

export const HwmonSensorSchema = z
  .object({
    ...sensorBase,
    source: z.literal('hwmon'),
    /** The chip's `name` file (e.g. `coretemp`) or its directory (`hwmon2`); hwmon numbering changes across boots. */
    chip: z.string().min(1),
    /** The channel file prefix (`temp1`, `in0`, `curr1`, `power1`, `humidity1`) or the text of its `_label` file. */
    channel: z.string().min(1),
  })
  .strict();

export const W1SensorSchema = z
  .object({
    ...sensorBase,
    source: z.literal('w1'),
    /** DS18B20 device directory, e.g. `28-0316a2791eff`. */
    device: z.string().regex(/^28-[0-9a-f]{12}$/i, 'a DS18B20 device id looks like 28-0316a2791eff'),
  })
  .strict();

export const IioSensorSchema = z
  .object({
    ...sensorBase,
    source: z.literal('iio'),
    /** `iio:device0` or the device's `name` file (e.g. `bme280`). */
    device: z.string().min(1),
    /** Channel without `in_` and suffix: `temp`, `humidityrelative`, `voltage0`, `pressure`. */
    channel: z.string().regex(/^[a-z]+[0-9]*$/, 'use the channel name, e.g. temp or humidityrelative'),
  })
  .strict();

export const ModbusConnectionSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('tcp'),
      host: z.string().min(1),
      port: ConfigInt.pipe(z.number().int().min(1).max(65535)).default(502),
    })
    .strict(),
  z
    .object({
      kind: z.literal('rtu'),
      /** Serial device, e.g. `/dev/ttyUSB0`. */
      path: z.string().min(1),
      baudRate: ConfigInt.pipe(z.number().int().positive()).default(9600),
      parity: z.enum(['none', 'even', 'odd']).default('none'),
      dataBits: ConfigInt.pipe(z.union([z.literal(7), z.literal(8)])).default(8),
      stopBits: ConfigInt.pipe(z.union([z.literal(1), z.literal(2)])).default(1),
    })
    .strict(),
]);
export type ModbusConnection = z.infer<typeof ModbusConnectionSchema>;

export const ModbusRegisterSchema = z
  .object({
    table: z.enum(['holding', 'input']).default('holding'),
    address: ConfigInt.pipe(z.number().int().min(0).max(65535)),
    type: z.enum(MODBUS_VALUE_TYPES).default('int16'),
    /** Order of the two 16-bit words of a 32-bit value: `big` = high word first (Modbus convention). */
    wordOrder: z.enum(['big', 'little']).default('big'),
    /** value = raw * scale + offset */
    scale: ConfigNumber.default(1),
    offset: ConfigNumber.default(0),
  })
  .strict();
export type ModbusRegister = z.infer<typeof ModbusRegisterSchema>;

export const ModbusSensorSchema = z
  .object({
    ...sensorBase,
    source: z.literal('modbus'),
    connection: ModbusConnectionSchema,
    unitId: ConfigInt.pipe(z.number().int().min(0).max(255)).default(1),
    register: ModbusRegisterSchema,
  })
  .strict();

export const SensorDefinitionSchema = z.discriminatedUnion('source', [
  SimulatedSensorSchema,
  HwmonSensorSchema,
  W1SensorSchema,
  IioSensorSchema,
  ModbusSensorSchema,
]);
export type SensorDefinition = z.infer<typeof SensorDefinitionSchema>;
/** What a config file may write (defaults not yet applied). */
export type SensorDefinitionInput = z.input<typeof SensorDefinitionSchema>;
export type SimulatedSensor = z.infer<typeof SimulatedSensorSchema>;
export type HwmonSensor = z.infer<typeof HwmonSensorSchema>;
export type W1Sensor = z.infer<typeof W1SensorSchema>;
export type IioSensor = z.infer<typeof IioSensorSchema>;
export type ModbusSensor = z.infer<typeof ModbusSensorSchema>;

/**
 * The edge component's whole configuration: the Greengrass recipe's DefaultConfiguration merged by
 * the nucleus, or a JSON/YAML file outside Greengrass. The `config` shadow overlays `tunable`.
 */
export const EdgeConfigSchema = z
  .object({
    towerId: TowerIdSchema,
    sensors: z
      .array(SensorDefinitionSchema)
      .default([])
      .superRefine((sensors, ctx) => {
        const seen = new Set<string>();
        sensors.forEach((s, i) => {
          if (seen.has(s.id)) {
            ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate sensor id ${s.id}` });
          }
          seen.add(s.id);
        });
      }),
    /** Root of sysfs for hwmon, w1 and iio sources; tests point it at a fixture tree. */
    sysfsRoot: z.string().min(1).default('/sys'),
    tunable: ConfigShadowStateSchema.default({}),
    batching: BatchingSchema.default({}),
    buffer: BufferConfigSchema.default({ maxBytes: 256 * 1024 * 1024, fsyncWindowMs: 100 }),
    transport: TransportConfigSchema.default({
      kind: 'auto',
      maxInflight: 100,
      maxPublishesPerSecond: 100,
      maxBytesPerSecond: 512 * 1024,
      drainMaxBytes: 128 * 1024,
      confirmTimeoutMs: DEFAULT_CONFIRM_TIMEOUT_MS,
    }),
  })
  .strict();
export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;
export type EdgeConfigInput = z.input<typeof EdgeConfigSchema>;
