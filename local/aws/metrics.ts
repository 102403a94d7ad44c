import type { MetricsSink } from '../../cloud/functions/shared/types.js';

/** Counts what the handlers report, for `stats()` and the live view (CloudWatch's job in AWS). */
export function counterMetrics(): MetricsSink & { totals: Record<string, number> } {
  const totals: Record<string, number> = {};
  return {
    totals,
    count(name, value = 1, dimensions) {
      const key = dimensions
        ? `${name}{${Object.entries(dimensions)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}}`
        : name;
      totals[key] = (totals[key] ?? 0) + value;
    },
  };
}
