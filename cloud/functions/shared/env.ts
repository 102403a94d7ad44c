import { ConfigError } from './errors.js';

type Env = Record<string, string | undefined>;

export function requireEnv(env: Env, name: string, fix: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set (${fix})`);
  return value;
}

export function numberEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is not a non-negative number (unset it for ${fallback})`,
    );
  }
  return value;
}
