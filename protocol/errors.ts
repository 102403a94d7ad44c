/** Raised for anything that violates the wire contract. `field` names the offending path, `fix` tells the user what to do. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    message: string,
    readonly field: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message} (${fix})` : message);
  }
}

export class InvalidTowerIdError extends ProtocolError {}
export class InvalidTopicError extends ProtocolError {}
export class PayloadTooLargeError extends ProtocolError {}
export class UnknownSchemaVersionError extends ProtocolError {}
