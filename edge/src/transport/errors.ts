/** The connection dropped before the broker acknowledged a publish; the message must be sent again. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
  constructor(message = 'connection lost before PUBACK') {
    super(message);
  }
}

/** Bad transport configuration: names the field and the fix. */
export class TransportConfigError extends Error {
  override readonly name = 'TransportConfigError';
  constructor(
    message: string,
    readonly field: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message} (${fix})` : message);
  }
}
