/** What the fake nucleus records of a component's calls, for assertions. */
export interface RecordedPublish {
  topicName: string;
  qos: string;
  payload: Buffer;
}

export interface ShadowRecord {
  state: { desired?: Record<string, unknown>; reported?: Record<string, unknown> };
  version: number;
}

/** A modelled service error the fake returns for the next call of an operation. */
export interface InjectedError {
  shape: 'UnauthorizedError' | 'ServiceError' | 'ResourceNotFoundError' | 'InvalidArgumentsError';
  message: string;
}

/** A frame as a client sent it, payload as text. */
export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  headers: Record<string, string>;
  payload: string;
}
