import { validateTopicFilter } from '../../../protocol/index.js';
import { SqlParseError } from '../errors.js';
import type { BinaryOp, Expr, PathSegment, Query, SelectItem } from './ast.js';
import { lookupFunction } from './functions.js';
import { type Keyword, type Token, tokenize } from './lexer.js';

/**
 * A recursive-descent parser for the IoT SQL 2016-03-23 subset towerwatch runs. Written by hand
 * because no maintained package parses IoT SQL; every error carries the character position.
 */
class Parser {
  private i = 0;
  constructor(
    private readonly sql: string,
    private readonly tokens: Token[],
  ) {}

  private get token(): Token {
    return this.tokens[this.i]!;
  }

  private fail(reason: string, pos = this.token.pos): never {
    throw new SqlParseError(reason, pos, this.sql);
  }

  private describe(t: Token): string {
    return t.type === 'eof' ? 'end of statement' : `'${this.sql.slice(t.pos).split(/\s/)[0]}'`;
  }

  private isKeyword(k: Keyword): boolean {
    return this.token.type === 'keyword' && this.token.value === k;
  }

  private isOp(op: string): boolean {
    return this.token.type === 'op' && this.token.value === op;
  }

  private expectKeyword(k: Keyword): void {
    if (!this.isKeyword(k)) this.fail(`expected ${k} but found ${this.describe(this.token)}`);
    this.i++;
  }

  private expectOp(op: string): void {
    if (!this.isOp(op)) this.fail(`expected '${op}' but found ${this.describe(this.token)}`);
    this.i++;
  }

  query(): Query {
    this.expectKeyword('SELECT');
    const select = [this.selectItem()];
    while (this.isOp(',')) {
      this.i++;
      select.push(this.selectItem());
    }
    this.expectKeyword('FROM');
    const fromToken = this.token;
    if (fromToken.type !== 'string') this.fail("FROM needs a quoted topic filter such as 'dt/+/telemetry'");
    this.i++;
    try {
      validateTopicFilter(fromToken.value);
    } catch (e) {
      this.fail(`invalid topic filter in FROM: ${(e as Error).message}`, fromToken.pos);
    }
    let where: Expr | undefined;
    if (this.isKeyword('WHERE')) {
      this.i++;
      where = this.expr();
    }
    if (this.token.type !== 'eof') this.fail(`unexpected ${this.describe(this.token)}`);
    return { select, from: fromToken.value, ...(where && { where }) };
  }

  /** A bare expression, as inside a `${…}` substitution template. */
  standalone(): Expr {
    const e = this.expr();
    if (this.token.type !== 'eof') this.fail(`unexpected ${this.describe(this.token)}`);
    return e;
  }

  private selectItem(): SelectItem {
    const pos = this.token.pos;
    if (this.isOp('*')) {
      this.i++;
      return { kind: 'all', pos };
    }
    const expr = this.expr();
    if (this.isKeyword('AS')) {
      this.i++;
      const t = this.token;
      if (t.type !== 'ident') this.fail(`expected a name after AS but found ${this.describe(t)}`);
      this.i++;
      return { kind: 'field', expr, name: t.value, pos };
    }
    if (expr.kind === 'path') {
      const last = expr.segments[expr.segments.length - 1]!;
      if ('key' in last) return { kind: 'field', expr, name: last.key, pos };
    }
    return this.fail('this expression needs a name: add AS <name>', pos);
  }

  private expr(): Expr {
    return this.or();
  }

  private or(): Expr {
    let left = this.and();
    while (this.isKeyword('OR')) {
      const pos = this.token.pos;
      this.i++;
      left = { kind: 'binary', op: 'OR', left, right: this.and(), pos };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isKeyword('AND')) {
      const pos = this.token.pos;
      this.i++;
      left = { kind: 'binary', op: 'AND', left, right: this.not(), pos };
    }
    return left;
  }

  private not(): Expr {
    if (this.isKeyword('NOT')) {
      const pos = this.token.pos;
      this.i++;
      return { kind: 'unary', op: 'NOT', operand: this.not(), pos };
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.additive();
    const t = this.token;
    if (t.type === 'op' && ['=', '<>', '<', '<=', '>', '>='].includes(t.value)) {
      this.i++;
      return { kind: 'binary', op: t.value as BinaryOp, left, right: this.additive(), pos: t.pos };
    }
    return left;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (let t = this.token; t.type === 'op' && (t.value === '+' || t.value === '-'); t = this.token) {
      this.i++;
      left = { kind: 'binary', op: t.value as BinaryOp, left, right: this.multiplicative(), pos: t.pos };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (let t = this.token; t.type === 'op' && ['*', '/', '%'].includes(t.value); t = this.token) {
      this.i++;
      left = { kind: 'binary', op: t.value as BinaryOp, left, right: this.unary(), pos: t.pos };
    }
    return left;
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      const pos = this.token.pos;
      this.i++;
      return { kind: 'unary', op: '-', operand: this.unary(), pos };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    while (this.isOp('.') || this.isOp('[')) {
      if (e.kind !== 'path') this.fail('only field references can be followed by . or [');
      const segment: PathSegment = this.isOp('.') ? this.dotKey() : this.bracketIndex();
      e = { ...e, segments: [...e.segments, segment] };
    }
    return e;
  }

  private dotKey(): PathSegment {
    this.i++;
    const t = this.token;
    if (t.type !== 'ident') this.fail(`expected a field name after '.' but found ${this.describe(t)}`);
    this.i++;
    return { key: t.value };
  }

  private bracketIndex(): PathSegment {
    this.i++;
    const index = this.expr();
    this.expectOp(']');
    return { index };
  }

  private primary(): Expr {
    const t = this.token;
    switch (t.type) {
      case 'number':
      case 'string':
        this.i++;
        return { kind: 'literal', value: t.value, pos: t.pos };
      case 'keyword':
        if (t.value === 'TRUE' || t.value === 'FALSE' || t.value === 'NULL') {
          this.i++;
          return { kind: 'literal', value: t.value === 'NULL' ? null : t.value === 'TRUE', pos: t.pos };
        }
        return this.fail(`expected an expression but found ${t.value}`);
      case 'ident':
        this.i++;
        if (this.isOp('(')) return this.call(t.value, t.pos);
        return { kind: 'path', segments: [{ key: t.value }], pos: t.pos };
      case 'op':
        if (t.value === '(') {
          this.i++;
          const inner = this.expr();
          this.expectOp(')');
          return inner;
        }
        return this.fail(`expected an expression but found ${this.describe(t)}`);
      case 'eof':
        return this.fail('expected an expression but the statement ended');
    }
  }

  private call(name: string, pos: number): Expr {
    const fn = lookupFunction(name);
    if (!fn) this.fail(`unknown or unsupported function ${name}()`, pos);
    this.expectOp('(');
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      do {
        if (args.length > 0) this.i++;
        if (this.isOp('*') && fn.starArgs?.includes(args.length)) {
          args.push({ kind: 'star', pos: this.token.pos });
          this.i++;
        } else {
          args.push(this.expr());
        }
      } while (this.isOp(','));
    }
    this.expectOp(')');
    if (args.length < fn.minArgs || args.length > fn.maxArgs) {
      const want = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `${fn.minArgs}-${fn.maxArgs}`;
      this.fail(`${name}() takes ${want} argument(s), got ${args.length}`, pos);
    }
    return { kind: 'call', name, args, pos };
  }
}

export function parseQuery(sql: string): Query {
  return new Parser(sql, tokenize(sql)).query();
}

export function parseExpression(text: string): Expr {
  return new Parser(text, tokenize(text)).standalone();
}
