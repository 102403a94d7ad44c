/** A buffer failure a user can act on: names the path and what to do. */
export class BufferError extends Error {
  override readonly name = 'BufferError';
  constructor(
    message: string,
    readonly path: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message} (${fix})` : message);
  }
}
