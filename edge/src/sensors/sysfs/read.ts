import { readdir, readFile } from 'node:fs/promises';
import { SensorReadError } from '../errors.js';

/** Reads a sysfs attribute holding one integer or decimal number. */
export async function readNumberFile(path: string, sensorId: string, signal?: AbortSignal): Promise<number> {
  const text = await readText(path, sensorId, signal);
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new SensorReadError(sensorId, `${path} holds ${JSON.stringify(text.trim())}, not a number`);
  }
  return value;
}

export async function readText(path: string, sensorId: string, signal?: AbortSignal): Promise<string> {
  try {
    return await readFile(path, { encoding: 'utf8', signal });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SensorReadError(sensorId, `cannot read ${path}: ${err.code ?? err.message}`);
  }
}

/** Optional attribute: undefined when the file does not exist. */
export async function readOptionalNumber(path: string, sensorId: string): Promise<number | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    const value = Number(text.trim());
    return Number.isFinite(value) ? value : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SensorReadError(sensorId, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code}`);
  }
}

export async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}

/** Trimmed text of an attribute that may not exist (`name`, `*_label`). */
export async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}
