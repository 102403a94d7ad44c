/** IoT SQL 2016-03-23 syntax tree; every node keeps its source offset for error messages. */
export type Expr =
  | { kind: 'literal'; value: string | number | boolean | null; pos: number }
  | { kind: 'path'; segments: PathSegment[]; pos: number }
  | { kind: 'call'; name: string; args: Expr[]; pos: number }
  | { kind: 'star'; pos: number }
  | { kind: 'unary'; op: 'NOT' | '-'; operand: Expr; pos: number }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; pos: number };

export type PathSegment = { key: string } | { index: Expr };

export type BinaryOp = 'AND' | 'OR' | '=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

export type SelectItem =
  | { kind: 'all'; pos: number }
  | { kind: 'field'; expr: Expr; name: string; pos: number };

export interface Query {
  select: SelectItem[];
  from: string;
  where?: Expr;
}
