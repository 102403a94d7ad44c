export { computeDelta, deleteShadow, getShadow, SHADOW_LIMITS, updateShadow } from './core.js';
export {
  parseShadowRequestTopic,
  type ShadowOperation,
  type ShadowReply,
  type ShadowResult,
  ShadowService,
  shadowPrefix,
} from './service.js';
export { FileShadowStore, MemoryShadowStore } from './store.js';
export * from './types.js';
