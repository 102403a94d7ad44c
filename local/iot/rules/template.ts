import { SqlParseError } from '../errors.js';
import { type Expr, evaluateExpr, type MessageContext, parseExpression } from '../sql/index.js';

/** A parsed substitution template such as `${topic(3)}-${newuuid()}`. */
export type Template = (string | Expr)[];

export function parseTemplate(text: string): Template {
  const parts: Template = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) {
      parts.push(text.slice(i));
      break;
    }
    if (start > i) parts.push(text.slice(i, start));
    const end = text.indexOf('}', start);
    if (end < 0) throw new SqlParseError('unterminated ${ in substitution template', start, text);
    const inner = text.slice(start + 2, end);
    try {
      parts.push(parseExpression(inner));
    } catch (e) {
      if (e instanceof SqlParseError) throw new SqlParseError(e.reason, start + 2 + e.position, text);
      throw e;
    }
    i = end + 1;
  }
  return parts;
}

/** IoT substitutes an Undefined expression with an empty string. */
export function renderTemplate(t: Template, ctx: MessageContext): string {
  let out = '';
  for (const part of t) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const v = evaluateExpr(part, ctx);
    if (v === undefined) continue;
    out += typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('base64') : JSON.stringify(v);
  }
  return out;
}
