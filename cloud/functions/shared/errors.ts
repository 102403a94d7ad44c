/**
 * A record that can never succeed (bad JSON, unknown schema, failed validation, a payload naming
 * another tower than its topic). It is quarantined and acknowledged, never retried.
 */
export class PoisonRecordError extends Error {
  override readonly name = 'PoisonRecordError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** A required Lambda setting is missing or malformed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
