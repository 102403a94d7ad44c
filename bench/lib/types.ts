export interface Metric {
  value: number;
  unit: string;
  target?: number;
  better: 'higher' | 'lower';
}

export interface BenchResult {
  name: string;
  metrics: Record<string, Metric>;
  /** Free-form notes printed under the table (what was measured, against what). */
  notes?: string[];
}

/** A benchmark module: `bench/<name>.bench.ts` exporting `run`. */
export interface Benchmark {
  run(): Promise<BenchResult>;
}
