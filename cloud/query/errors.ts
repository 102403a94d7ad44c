/** Failures a `towerwatch query` user can act on; the message is the one line the CLI prints. */
export class QueryError extends Error {
  override name = 'QueryError';
}

/** The engine refused or failed the statement (bad SQL, Athena FAILED or CANCELLED). */
export class QueryFailedError extends QueryError {
  override name = 'QueryFailedError';
}

/** The query ran past `--timeout` and was stopped. */
export class QueryTimeoutError extends QueryError {
  override name = 'QueryTimeoutError';
}

/** A preset name, range or tower the presets cannot render. */
export class PresetError extends QueryError {
  override name = 'PresetError';
}
