import * as z from 'zod';
import { IOT } from '../limits.js';
import { ConfigInt } from './config.js';
import { STORED_ACK } from './stored-ack.js';

/**
 * Shortest `transport.confirmTimeoutMs` other than 0: the cloud acknowledges at most every
 * `STORED_ACK.minIntervalMs`, so a shorter wait re-sends records that are stored and about to be confirmed.
 */
export const MIN_CONFIRM_TIMEOUT_MS = STORED_ACK.minIntervalMs + 5_000;
/** Well above the acknowledgement interval plus the rules → Kinesis → Lambda → DynamoDB latency. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 60_000;

const ConfirmTimeoutMs = ConfigInt.pipe(
  z
    .number()
    .int()
    .min(0)
    .max(24 * 60 * 60 * 1000),
).superRefine((ms, ctx) => {
  if (ms === 0 || ms >= MIN_CONFIRM_TIMEOUT_MS) return;
  ctx.addIssue({
    code: 'too_small',
    origin: 'number',
    minimum: MIN_CONFIRM_TIMEOUT_MS,
    inclusive: true,
    input: ms,
    message: `${ms} ms is shorter than the cloud's ${STORED_ACK.minIntervalMs} ms acknowledgement interval plus latency (0 turns confirmation off)`,
  });
});

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
    /**
     * How long a PUBACK'd telemetry batch waits for the cloud's stored acknowledgement
     * (`cmd/towerwatch/<id>/stored`) before it is sent again. 0: PUBACK alone confirms (a cloud that
     * sends no acknowledgements).
     */
    confirmTimeoutMs: ConfirmTimeoutMs.default(DEFAULT_CONFIRM_TIMEOUT_MS),
  })
  .strict();
