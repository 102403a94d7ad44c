import { randomUUID } from 'node:crypto';
import type { SqlValue } from './value.js';

/** What a function sees of the message besides its arguments. */
export interface MessageContext {
  topic: string;
  payload: Buffer;
  /** Parsed JSON payload, or undefined for a binary payload. */
  json: unknown;
  clientId?: string;
  principal?: string;
  now: number;
}

interface SqlFunction {
  minArgs: number;
  maxArgs: number;
  /** Argument positions that may be `*` (the whole raw payload, as a Buffer). */
  starArgs?: readonly number[];
  call(args: SqlValue[], ctx: MessageContext): SqlValue;
}

const str = (v: SqlValue): string | undefined => (typeof v === 'string' ? v : undefined);

/** The IoT SQL functions this engine runs; anything else is refused when the rule loads. */
export const FUNCTIONS: Record<string, SqlFunction> = {
  topic: {
    minArgs: 0,
    maxArgs: 1,
    call: ([n], ctx) => {
      if (n === undefined) return ctx.topic;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return undefined;
      return ctx.topic.split('/')[n - 1];
    },
  },
  timestamp: { minArgs: 0, maxArgs: 0, call: (_, ctx) => ctx.now },
  clientid: { minArgs: 0, maxArgs: 0, call: (_, ctx) => ctx.clientId },
  principal: { minArgs: 0, maxArgs: 0, call: (_, ctx) => ctx.principal },
  newuuid: { minArgs: 0, maxArgs: 0, call: () => randomUUID() },
  encode: {
    minArgs: 2,
    maxArgs: 2,
    starArgs: [0],
    call: ([value, encoding]) => {
      if (encoding !== 'base64' || value === undefined) return undefined;
      if (Buffer.isBuffer(value)) return value.toString('base64');
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return Buffer.from(text, 'utf8').toString('base64');
    },
  },
  lower: { minArgs: 1, maxArgs: 1, call: ([s]) => str(s)?.toLowerCase() },
  upper: { minArgs: 1, maxArgs: 1, call: ([s]) => str(s)?.toUpperCase() },
  concat: {
    minArgs: 2,
    maxArgs: 16,
    call: (args) => (args.every((a) => typeof a === 'string') ? args.join('') : undefined),
  },
  abs: { minArgs: 1, maxArgs: 1, call: ([n]) => (typeof n === 'number' ? Math.abs(n) : undefined) },
  isUndefined: { minArgs: 1, maxArgs: 1, call: ([v]) => v === undefined },
};

export function lookupFunction(name: string): SqlFunction | undefined {
  return Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
}
