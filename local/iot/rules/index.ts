export { compileRules, RulesEngine, type RulesEngineDeps } from './engine.js';
export { localKinesisClient, MemoryKinesisSink, SdkKinesisSink, type StoredRecord } from './kinesis.js';
export {
  type KinesisSinkWorkerOptions,
  startKinesisSinkInWorker,
  type WorkerKinesisSink,
} from './kinesis-worker.js';
export { parseTemplate, renderTemplate, type Template } from './template.js';
export * from './types.js';
