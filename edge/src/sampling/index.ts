export { BatchAssembler, type BatchAssemblerOptions, type BatchLimits, type BatchStats } from './batcher.js';
export { SensorSampler } from './sampler.js';
export {
  type SampleListener,
  type SamplerOptions,
  type SamplerStats,
  systemTimers,
  type TimerHandle,
  type Timers,
} from './types.js';
export { VirtualTime } from './virtual-time.js';
