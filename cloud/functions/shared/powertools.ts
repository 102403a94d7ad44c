import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DEFAULTS, ENV } from '../../data/tables.js';
import type { MetricsSink } from './types.js';

/**
 * Powertools Logger, EMF Metrics and Tracer for one function. The Tracer turns each AWS SDK call into
 * an X-Ray subsegment under the invocation's segment (the functions run with active tracing); outside
 * Lambda it is off and hands clients back untouched. No per-tower metric dimensions: they would
 * multiply the metric bill.
 */
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
  const tracer = new Tracer({ serviceName: env[ENV.serviceName] ?? serviceName });
  /** The client, its calls traced as subsegments. */
  const traced = <C>(client: C): C => tracer.captureAWSv3Client(client);
  return { logger, metrics: sink, tracer, traced };
}
