import * as z from 'zod';
import { InvalidTowerIdError } from './errors.js';

/** Tower id = IoT thing name = MQTT client id. Narrower than AWS's thing-name rule so it is safe in topics, keys and file names. */
export const TOWER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const SENSOR_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export const TowerIdSchema = z
  .string()
  .regex(TOWER_ID_PATTERN, 'tower id must be 1-64 characters of A-Z a-z 0-9 _ -');
export const SensorIdSchema = z
  .string()
  .regex(SENSOR_ID_PATTERN, 'sensor id must be 1-64 characters of A-Z a-z 0-9 _ . : -');

export function isTowerId(value: unknown): value is string {
  return typeof value === 'string' && TOWER_ID_PATTERN.test(value);
}

export function assertTowerId(value: unknown, field = 'towerId'): string {
  if (!isTowerId(value)) {
    throw new InvalidTowerIdError(
      `invalid ${field} ${JSON.stringify(value)}`,
      field,
      'use 1-64 characters of A-Z a-z 0-9 _ -',
    );
  }
  return value;
}
