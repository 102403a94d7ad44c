import type { SensorDefinition } from '../../../protocol/index.js';
import type { ModbusLinkPool } from './modbus/link.js';
import { ModbusSource } from './modbus/source.js';
import type { Simulator } from './simulated/simulator.js';
import { HwmonSource } from './sysfs/hwmon.js';
import { IioSource } from './sysfs/iio.js';
import { W1Source } from './sysfs/w1.js';
import type { SensorSource } from './types.js';

export interface SourceContext {
  sysfsRoot: string;
  simulator: Simulator;
  modbus: ModbusLinkPool;
}

/** The source a sensor definition describes. */
export function createSensorSource(def: SensorDefinition, ctx: SourceContext): SensorSource {
  switch (def.source) {
    case 'simulated':
      return ctx.simulator.source(def);
    case 'hwmon':
      return new HwmonSource(def, ctx.sysfsRoot);
    case 'w1':
      return new W1Source(def, ctx.sysfsRoot);
    case 'iio':
      return new IioSource(def, ctx.sysfsRoot);
    case 'modbus':
      return new ModbusSource(def, ctx.modbus.get(def.connection, def.timeoutMs));
  }
}
