/** A read that produced no trustworthy value. Counted and flagged by the sampler, never thrown past it. */
export class SensorReadError extends Error {
  override readonly name = 'SensorReadError';
  constructor(
    readonly sensorId: string,
    readonly reason: string,
  ) {
    super(`${sensorId}: ${reason}`);
  }
}

/** Rejects when the signal aborts, so a read waiting on hardware gives up at the sampler's timeout. */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  sensorId: string,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new SensorReadError(sensorId, 'read aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new SensorReadError(sensorId, 'read timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
