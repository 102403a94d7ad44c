export {
  ALERT_STATE_FORMAT,
  type AlertStateFile,
  AlertStateFileSchema,
  AlertStateStore,
  OPEN_ALERTS_FILE,
} from './alert-state.js';
export {
  AlertJournal,
  type AlertJournalOptions,
  type AlertJournalStats,
  UNACKED_LIMIT,
} from './alert-journal.js';
export { AlertStateFileError } from './errors.js';
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
