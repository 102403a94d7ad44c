import type { ModbusSensor, SensorKind } from '../../../../protocol/index.js';
import { abortable, SensorReadError } from '../errors.js';
import type { SensorSource } from '../types.js';
import { decodeRegisters, registerCount } from './decode.js';
import type { ModbusLink } from './link.js';

/** One register value of a Modbus device (TCP or RTU), decoded per the register map in config. */
export class ModbusSource implements SensorSource {
  readonly id: string;
  readonly kind: SensorKind;

  constructor(
    private readonly def: ModbusSensor,
    private readonly link: ModbusLink,
  ) {
    this.id = def.id;
    this.kind = def.kind;
  }

  async read(signal?: AbortSignal): Promise<number> {
    const { register, unitId } = this.def;
    let words: number[];
    try {
      words = await abortable(
        this.link.read(
          { unitId, table: register.table, address: register.address, count: registerCount(register.type) },
          signal,
        ),
        signal,
        this.id,
      );
    } catch (e) {
      if (e instanceof SensorReadError) throw e;
      throw new SensorReadError(
        this.id,
        `modbus unit ${unitId} register ${register.address}: ${(e as Error).message}`,
      );
    }
    const value = decodeRegisters(words, register);
    if (!Number.isFinite(value))
      throw new SensorReadError(this.id, `register ${register.address} decodes to ${value}`);
    return value;
  }
}
