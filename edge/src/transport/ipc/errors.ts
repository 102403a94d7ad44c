/** The nucleus answered an operation with a modelled error (`UnauthorizedError`, `ResourceNotFoundError`…). */
export class IpcServiceError extends Error {
  override readonly name = 'IpcServiceError';
  constructor(
    readonly operation: string,
    /** The error shape without its `aws.greengrass#` namespace. */
    readonly errorType: string,
    readonly detail: string,
  ) {
    super(`${operation}: ${errorType}: ${detail}`);
  }
}

/** The nucleus refused the connect handshake: the component's SVCUID token is wrong or stale. */
export class IpcAuthError extends Error {
  override readonly name = 'IpcAuthError';
  constructor() {
    super(
      'the Greengrass nucleus refused the IPC connection (SVCUID rejected; Greengrass sets it for each run)',
    );
  }
}

/** Bytes on the IPC socket that are not eventstream-RPC: the connection is closed. */
export class IpcProtocolError extends Error {
  override readonly name = 'IpcProtocolError';
}
