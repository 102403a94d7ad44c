export type { Expr, Query, SelectItem } from './ast.js';
export { evaluateExpr, evaluateQuery, type MessageContext, type QueryResult } from './evaluate.js';
export { FUNCTIONS } from './functions.js';
export { parseExpression, parseQuery } from './parser.js';
export type { SqlValue } from './value.js';
