import type { SensorKind } from '../../../protocol/index.js';

/** One sensor, whatever hardware or simulation is behind it. */
export interface SensorSource {
  readonly id: string;
  readonly kind: SensorKind;
  /**
   * Resolves with the value in the sensor's unit (°C, %RH, V, A, W, 0/1, g); rejects with
   * SensorReadError. Stops waiting when `signal` aborts (the sampler's read timeout).
   */
  read(signal?: AbortSignal): Promise<number>;
  /** Releases connections or handles, if the source holds any. */
  close?(): Promise<void>;
}
