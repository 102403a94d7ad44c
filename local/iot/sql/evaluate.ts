import { isDeepStrictEqual } from 'node:util';
import { topicMatches } from '../../../protocol/index.js';
import { SqlEvaluationError } from '../errors.js';
import type { Expr, Query } from './ast.js';
import { lookupFunction, type MessageContext } from './functions.js';
import type { SqlValue } from './value.js';

export type { MessageContext };

const isObject = (v: SqlValue): v is { [k: string]: SqlValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** IoT converts a numeric string to a number where an operator needs one. */
function toNumber(v: SqlValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function arithmetic(op: string, a: SqlValue, b: SqlValue): SqlValue {
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  const x = toNumber(a);
  const y = toNumber(b);
  if (x === undefined || y === undefined) return undefined;
  const ints = Number.isInteger(x) && Number.isInteger(y);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      if (y === 0) return undefined;
      // Int / Int is an Int in IoT SQL, truncated toward zero.
      return ints ? Math.trunc(x / y) : x / y;
    case '%':
      return y === 0 ? undefined : x % y;
  }
  return undefined;
}

function compare(op: string, a: SqlValue, b: SqlValue): SqlValue {
  if (a === undefined || b === undefined) return undefined;
  if (op === '=' || op === '<>') {
    let equal: boolean;
    if (typeof a === 'number' || typeof b === 'number') {
      const x = toNumber(a);
      const y = toNumber(b);
      if (x === undefined || y === undefined) return undefined;
      equal = x === y;
    } else {
      equal = isDeepStrictEqual(a, b);
    }
    return op === '=' ? equal : !equal;
  }
  let x: number | string | undefined;
  let y: number | string | undefined;
  if (typeof a === 'string' && typeof b === 'string') {
    x = a;
    y = b;
  } else {
    x = toNumber(a);
    y = toNumber(b);
    if (x === undefined || y === undefined) return undefined;
  }
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

export function evaluateExpr(e: Expr, ctx: MessageContext): SqlValue {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'star':
      // `*` as an argument (only encode() takes one) is the payload's own bytes, JSON or not: a
      // re-serialised parse would drop duplicate keys and whitespace the device actually sent.
      return ctx.payload;
    case 'path': {
      let v = ctx.json as SqlValue;
      for (const seg of e.segments) {
        if ('key' in seg) {
          v = isObject(v) && Object.hasOwn(v, seg.key) ? v[seg.key] : undefined;
        } else {
          const i = evaluateExpr(seg.index, ctx);
          v = Array.isArray(v) && typeof i === 'number' && Number.isInteger(i) ? v[i] : undefined;
        }
        if (v === undefined) return undefined;
      }
      return v;
    }
    case 'call':
      return lookupFunction(e.name)!.call(
        e.args.map((a) => evaluateExpr(a, ctx)),
        ctx,
      );
    case 'unary': {
      const v = evaluateExpr(e.operand, ctx);
      if (e.op === 'NOT') return typeof v === 'boolean' ? !v : undefined;
      const n = toNumber(v);
      return n === undefined ? undefined : -n;
    }
    case 'binary': {
      if (e.op === 'AND' || e.op === 'OR') {
        const l = evaluateExpr(e.left, ctx);
        if (e.op === 'AND' && l === false) return false;
        if (e.op === 'OR' && l === true) return true;
        const r = evaluateExpr(e.right, ctx);
        if (typeof l !== 'boolean' || typeof r !== 'boolean') {
          return e.op === 'AND' ? (r === false ? false : undefined) : r === true ? true : undefined;
        }
        return e.op === 'AND' ? l && r : l || r;
      }
      const l = evaluateExpr(e.left, ctx);
      const r = evaluateExpr(e.right, ctx);
      if (['+', '-', '*', '/', '%'].includes(e.op)) return arithmetic(e.op, l, r);
      return compare(e.op, l, r);
    }
  }
}

export type QueryResult = { matched: false } | { matched: true; output: SqlValue };

/**
 * Runs a parsed query against one message: FROM, then WHERE, then SELECT. Fields that evaluate to
 * Undefined are left out of the output, as IoT does. A binary payload can only pass through whole.
 */
export function evaluateQuery(q: Query, ctx: MessageContext): QueryResult {
  if (!topicMatches(q.from, ctx.topic)) return { matched: false };
  if (q.where && evaluateExpr(q.where, ctx) !== true) return { matched: false };
  const first = q.select[0]!;
  if (q.select.length === 1 && first.kind === 'all') {
    return { matched: true, output: ctx.json === undefined ? ctx.payload : (ctx.json as SqlValue) };
  }
  const out: { [k: string]: SqlValue } = {};
  for (const item of q.select) {
    if (item.kind === 'all') {
      if (!isObject(ctx.json as SqlValue)) {
        throw new SqlEvaluationError(
          'SELECT * with other fields needs a JSON object payload (publish a JSON object or select * alone)',
        );
      }
      Object.assign(out, ctx.json);
      continue;
    }
    const v = evaluateExpr(item.expr, ctx);
    if (v !== undefined) out[item.name] = Buffer.isBuffer(v) ? v.toString('base64') : v;
  }
  return { matched: true, output: out };
}
