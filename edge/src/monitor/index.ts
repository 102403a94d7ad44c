export { createTowerMonitor } from './monitor.js';
export type { MonitorStats, TowerMonitor, TowerMonitorOptions } from './types.js';
export {
  type Anomaly,
  type SensorSource,
  type SimulatedTowerOptions,
  Simulator,
  simulatedTowerConfig,
} from '../sensors/index.js';
export { VirtualTime } from '../sampling/index.js';
