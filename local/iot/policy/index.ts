export { BoundPolicy, type CompiledPolicy, compilePolicy, evaluatePolicy, resourceArn } from './evaluate.js';
export * from './types.js';
