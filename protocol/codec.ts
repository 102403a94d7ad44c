import type { ZodType } from 'zod';
import { PayloadTooLargeError, ProtocolError, UnknownSchemaVersionError } from './errors.js';
import { IOT } from './limits.js';
import { type Alert, AlertSchema } from './schemas/alert.js';
import { SCHEMA_VERSION } from './schemas/common.js';
import { type Status, StatusSchema } from './schemas/status.js';
import {
  type TelemetryBatch,
  TelemetryBatchSchema,
  type TelemetryBundle,
  TelemetryBundleSchema,
} from './schemas/telemetry.js';
import type { DeviceMessageType } from './topics.js';

export interface EncodedMessage {
  payload: string;
  bytes: number;
  /** IoT Core bills messaging per started 5 KB. */
  billedUnits: number;
}

export function billedUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / IOT.billingUnitBytes));
}

/** Serialises without validation (callers build messages from typed, already-checked parts) and enforces the size limit. */
export function encodeMessage(message: unknown, maxBytes: number = IOT.maxPayloadBytes): EncodedMessage {
  const payload = JSON.stringify(message);
  const bytes = Buffer.byteLength(payload, 'utf8');
  if (bytes > maxBytes) {
    throw new PayloadTooLargeError(
      `payload is ${bytes} bytes, limit is ${maxBytes}`,
      'payload',
      'send smaller batches',
    );
  }
  return { payload, bytes, billedUnits: billedUnits(bytes) };
}

/** One line per problem: `readings.3.2: must be a finite number`. */
export function formatIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

function parseJson(payload: string | Uint8Array): unknown {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  if (Buffer.byteLength(text, 'utf8') > IOT.maxPayloadBytes) {
    throw new PayloadTooLargeError(`payload exceeds ${IOT.maxPayloadBytes} bytes`, 'payload');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ProtocolError(`payload is not JSON: ${(e as Error).message}`, 'payload');
  }
}

function validate<T>(schema: ZodType<T>, value: unknown, what: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what} must be a JSON object`, 'payload');
  }
  const version = (value as { schema?: unknown }).schema;
  if (version !== SCHEMA_VERSION) {
    throw new UnknownSchemaVersionError(
      `unknown ${what} schema version ${JSON.stringify(version)}`,
      'schema',
      `this build understands schema ${SCHEMA_VERSION}`,
    );
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new ProtocolError(
      `invalid ${what}: ${formatIssues(result.error.issues)}`,
      first ? first.path.join('.') : '',
    );
  }
  return result.data;
}

/** A telemetry payload is one batch or a bundle of batches; either way the result is the batches. */
export function decodeTelemetry(payload: string | Uint8Array | unknown, parsed = false): TelemetryBatch[] {
  const value = parsed ? payload : parseJson(payload as string | Uint8Array);
  if (typeof value === 'object' && value !== null && 'batches' in value) {
    const bundle: TelemetryBundle = validate(TelemetryBundleSchema, value, 'telemetry bundle');
    for (const b of bundle.batches) {
      if (b.towerId !== bundle.towerId) throw new ProtocolError('bundle mixes tower ids', 'batches.towerId');
    }
    return bundle.batches;
  }
  return [validate(TelemetryBatchSchema, value, 'telemetry batch')];
}

export function decodeAlert(payload: string | Uint8Array | unknown, parsed = false): Alert {
  return validate(AlertSchema, parsed ? payload : parseJson(payload as string | Uint8Array), 'alert');
}

export function decodeStatus(payload: string | Uint8Array | unknown, parsed = false): Status {
  return validate(StatusSchema, parsed ? payload : parseJson(payload as string | Uint8Array), 'status');
}

export type DeviceMessage =
  | { type: 'telemetry'; batches: TelemetryBatch[] }
  | { type: 'alert'; alert: Alert }
  | { type: 'status'; status: Status };

export function decodeDeviceMessage(type: DeviceMessageType, payload: string | Uint8Array): DeviceMessage {
  switch (type) {
    case 'telemetry':
      return { type, batches: decodeTelemetry(payload) };
    case 'alert':
      return { type, alert: decodeAlert(payload) };
    case 'status':
      return { type, status: decodeStatus(payload) };
  }
}

export function encodeTelemetryBatch(batch: TelemetryBatch, maxBytes?: number): EncodedMessage {
  return encodeMessage(batch, maxBytes);
}
export function encodeAlert(alert: Alert): EncodedMessage {
  return encodeMessage(AlertSchema.parse(alert));
}
export function encodeStatus(status: Status): EncodedMessage {
  return encodeMessage(StatusSchema.parse(status));
}
