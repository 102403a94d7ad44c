/** Errors a user of the local IoT Core can act on: each names the field and the fix. */
export class LocalIotError extends Error {
  override readonly name: string = 'LocalIotError';
}

/** An IoT policy this evaluator cannot enforce faithfully: refused at load, never silently ignored. */
export class PolicyError extends LocalIotError {
  override readonly name = 'PolicyError';
}

/** A rule's SQL failed to parse; `position` is the 0-based character offset in the SQL text. */
export class SqlParseError extends LocalIotError {
  override readonly name = 'SqlParseError';
  constructor(
    readonly reason: string,
    readonly position: number,
    readonly sql: string,
  ) {
    super(`${reason} at position ${position}: ${sql.slice(0, position)}⟨here⟩${sql.slice(position)}`);
  }
}

/** A rule's SQL parsed but cannot be evaluated against one message (bad operand types, binary `*`). */
export class SqlEvaluationError extends LocalIotError {
  override readonly name = 'SqlEvaluationError';
}

/** A shadow request the Device Shadow service refuses, with the HTTP-style code IoT uses. */
export class ShadowRequestError extends LocalIotError {
  override readonly name = 'ShadowRequestError';
  constructor(
    readonly code: 400 | 404 | 409 | 413 | 500,
    message: string,
  ) {
    super(message);
  }
}
