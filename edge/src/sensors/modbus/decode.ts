import type { ModbusRegister } from '../../../../protocol/index.js';

/** 16-bit registers a value type occupies. */
export function registerCount(type: ModbusRegister['type']): 1 | 2 {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

/** Turns raw 16-bit registers into the engineering value: decoded * scale + offset. */
export function decodeRegisters(words: readonly number[], register: ModbusRegister): number {
  const count = registerCount(register.type);
  if (words.length < count) throw new RangeError(`expected ${count} registers, got ${words.length}`);
  const buf = Buffer.alloc(4);
  if (count === 1) {
    buf.writeUInt16BE(words[0]! & 0xffff, 0);
  } else {
    const [first, second] = register.wordOrder === 'big' ? [words[0]!, words[1]!] : [words[1]!, words[0]!];
    buf.writeUInt16BE(first & 0xffff, 0);
    buf.writeUInt16BE(second & 0xffff, 2);
  }
  const raw = (() => {
    switch (register.type) {
      case 'int16':
        return buf.readInt16BE(0);
      case 'uint16':
        return buf.readUInt16BE(0);
      case 'int32':
        return buf.readInt32BE(0);
      case 'uint32':
        return buf.readUInt32BE(0);
      case 'float32':
        return buf.readFloatBE(0);
    }
  })();
  return raw * register.scale + register.offset;
}
