import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type EdgeConfig, EdgeConfigSchema } from '../../../protocol/index.js';
import { ConfigError, configErrorFromIssues } from './errors.js';

export interface LoadEdgeConfigOptions {
  /** JSON or YAML file (`towerwatch edge --config <file>`). */
  file?: string;
  /** Environment overrides; see ENV_OVERRIDES. Default: none (pass `process.env` explicitly). */
  env?: Record<string, string | undefined>;
  /** The component configuration as the Greengrass nucleus merged it (numbers may be strings). */
  greengrass?: unknown;
}

/** Environment variables that override single fields, applied last. */
export const ENV_OVERRIDES = {
  /** Set by the Greengrass nucleus for every component: the thing name is the tower id. */
  AWS_IOT_THING_NAME: ['towerId'],
  TOWERWATCH_TOWER_ID: ['towerId'],
  TOWERWATCH_SYSFS_ROOT: ['sysfsRoot'],
  TOWERWATCH_BATCH_MAX_BYTES: ['batching', 'maxBytes'],
  TOWERWATCH_BATCH_MAX_AGE_MS: ['batching', 'maxAgeMs'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Validates the component configuration from the recipe (Greengrass) or a file, with environment
 * overrides on top. Throws ConfigError naming the first bad field; the caller refuses to start.
 */
export function loadEdgeConfig(options: LoadEdgeConfigOptions): EdgeConfig {
  const fromSource =
    options.greengrass !== undefined
      ? normaliseGreengrass(options.greengrass)
      : options.file !== undefined
        ? readConfigFile(options.file)
        : {};
  if (!isObject(fromSource)) {
    throw new ConfigError('', 'the configuration must be an object of fields', 'see the README example');
  }
  const merged = applyEnv(structuredClone(fromSource), options.env ?? {});
  const result = EdgeConfigSchema.safeParse(merged);
  if (!result.success) throw configErrorFromIssues(result.error.issues);
  return result.data;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError('file', `cannot read ${file}: ${code}`, 'check the --config path');
  }
  try {
    return extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const detail = (e as Error).message.split('\n')[0];
    throw new ConfigError(
      'file',
      `${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${detail}`,
      'fix the syntax',
    );
  }
}

/**
 * The nucleus stores configuration as a tree of named nodes; an array edited through a deployment's
 * merge update can come back as an object keyed "0", "1", … — turn such objects back into arrays.
 */
function normaliseGreengrass(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseGreengrass);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) {
    return keys.map((k) => normaliseGreengrass(value[k]));
  }
  return Object.fromEntries(keys.map((k) => [k, normaliseGreengrass(value[k])]));
}

function applyEnv(
  config: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    // The thing name is only a default: an explicit tower id wins.
    if (name === 'AWS_IOT_THING_NAME' && config.towerId !== undefined) continue;
    let node = config;
    for (const key of path.slice(0, -1)) {
      if (!isObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return config;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
