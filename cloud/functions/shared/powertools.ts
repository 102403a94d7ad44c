import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULTS, ENV } from '../../data/tables.js';
import type { MetricsSink } from './types.js';

/** Powertools Logger and EMF Metrics for one function (no per-tower dimensions: they would multiply the metric bill). */
export function powertools(serviceName: string, env: Record<string, string | undefined> = process.env) {
  const logger = new Logger({ serviceName: env[ENV.serviceName] ?? serviceName });
  const metrics = new Metrics({
    namespace: env[ENV.metricsNamespace] ?? DEFAULTS.metricsNamespace,
    serviceName: env[ENV.serviceName] ?? serviceName,
  });
  const sink: MetricsSink = {
    count(name, value = 1, dimensions) {
      if (!dimensions) {
        metrics.addMetric(name, MetricUnit.Count, value);
        return;
      }
      const single = metrics.singleMetric();
      for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
      single.addMetric(name, MetricUnit.Count, value);
    },
    flush: () => metrics.publishStoredMetrics(),
  };
  return { logger, metrics: sink };
}
