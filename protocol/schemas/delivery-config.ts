import * as z from 'zod';
import { IOT } from '../limits.js';
import { ConfigInt } from './config.js';

/** Disk buffer settings of the edge component. */
export const BufferConfigSchema = z
  .object({
    /** Directory of the segment files. Greengrass: `{work:path}/buffer`. */
    dir: z.string().min(1).optional(),
    maxBytes: ConfigInt.pipe(
      z
        .number()
        .int()
        .min(1024 * 1024),
    ).default(256 * 1024 * 1024),
    fsyncWindowMs: ConfigInt.pipe(z.number().int().min(0).max(1000)).default(100),
  })
  .strict();

/** How the component reaches IoT Core. `auto` picks Greengrass IPC when the nucleus variables are set. */
export const TransportConfigSchema = z
  .object({
    kind: z.enum(['auto', 'ipc', 'mqtt']).default('auto'),
    /** Direct MQTT: `mqtts://host:8883`. */
    endpoint: z.string().optional(),
    certPath: z.string().optional(),
    keyPath: z.string().optional(),
    caPath: z.string().optional(),
    maxInflight: ConfigInt.pipe(z.number().int().min(1).max(IOT.maxInflightQos1)).default(
      IOT.maxInflightQos1,
    ),
    maxPublishesPerSecond: ConfigInt.pipe(
      z.number().int().min(1).max(IOT.maxPublishesPerSecondPerConnection),
    ).default(IOT.maxPublishesPerSecondPerConnection),
    maxBytesPerSecond: ConfigInt.pipe(
      z.number().int().min(1024).max(IOT.maxBytesPerSecondPerConnection),
    ).default(IOT.maxBytesPerSecondPerConnection),
    /** Largest message when draining a backlog (bundles of stored batches). */
    drainMaxBytes: ConfigInt.pipe(z.number().int().min(1024).max(IOT.maxPayloadBytes)).default(
      IOT.maxPayloadBytes,
    ),
  })
  .strict();
