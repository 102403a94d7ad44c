import { powertools } from '../shared/powertools.js';
import { createArchiveProcessorHandler } from './handler.js';
import { CONSUMER } from './types.js';

const { logger, metrics } = powertools(CONSUMER);

/** Firehose transformation: stream records → Parquet-ready JSON rows, routed by table and day. */
export const handler = createArchiveProcessorHandler({ metrics, log: logger });
