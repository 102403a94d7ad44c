import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { processArchiveRecords } from './core.js';
import type { ProcessorDeps } from './types.js';

export type ArchiveProcessorHandler = (
  event: FirehoseTransformationEvent,
) => Promise<FirehoseTransformationResult>;

export function createArchiveProcessorHandler(deps: ProcessorDeps): ArchiveProcessorHandler {
  return async (event) => {
    try {
      return { records: processArchiveRecords(event.records, deps) };
    } finally {
      deps.metrics.flush?.();
    }
  };
}
