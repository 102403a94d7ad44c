import type { RollupQuery, RollupRow } from '../../protocol/index.js';

/** Rollup tables next to the readings of a local archive folder (`<archive>/rollups_1m/dt=…/rollup.parquet`). */
export interface RollupStore {
  /** Recomputes the named days of both resolutions from the readings and replaces their partitions. */
  recompute(days: readonly string[]): Promise<void>;
  /** Recomputes every day a write into these readings partitions can change. */
  recomputeForPartitions(dts: readonly string[]): Promise<void>;
  read(query: RollupQuery): Promise<RollupRow[]>;
  close(): void;
}
