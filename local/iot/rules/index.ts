export { compileRules, RulesEngine, type RulesEngineDeps } from './engine.js';
export { localKinesisClient, MemoryKinesisSink, SdkKinesisSink, type StoredRecord } from './kinesis.js';
export { parseTemplate, renderTemplate, type Template } from './template.js';
export * from './types.js';
