export { SensorReadError } from './errors.js';
export { createSensorSource, type SourceContext } from './factory.js';
export { decodeRegisters, registerCount } from './modbus/decode.js';
export {
  type ModbusClient,
  type ModbusClientFactory,
  ModbusLink,
  ModbusLinkPool,
  defaultModbusClient,
} from './modbus/link.js';
export { ModbusSource } from './modbus/source.js';
export { normalValue, type SimulatedProfile } from './simulated/profiles.js';
export { type ActiveAnomaly, type Anomaly, SimulatedSource, Simulator } from './simulated/simulator.js';
export {
  type SimulatedTowerOptions,
  simulatedTowerConfig,
  TYPICAL_TOWER_SENSORS,
} from './simulated/tower.js';
export { discoverHwmon, type HwmonChannel, HwmonSource } from './sysfs/hwmon.js';
export { IioSource } from './sysfs/iio.js';
export { parseW1Slave, W1Source } from './sysfs/w1.js';
export type { SensorSource } from './types.js';
