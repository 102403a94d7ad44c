import { PolicyError } from '../errors.js';
import {
  type ConnectionContext,
  type Decision,
  type IotAction,
  type IotPolicyDocument,
  type PolicyScope,
  RESOURCE_TYPE,
} from './types.js';

/**
 * A pure evaluator of IoT policy documents, written by hand because no maintained package evaluates
 * IoT policies (IAM evaluators do not know the `iot:` variables or MQTT resources). It supports what
 * towerwatch's policy uses and refuses anything else at compile time, so an unsupported construct
 * can never silently widen or narrow access.
 */
const VARIABLES = {
  'iot:ClientId': (c: ConnectionContext) => c.clientId,
  'iot:Connection.Thing.ThingName': (c: ConnectionContext) => c.thingName,
  'iot:Connection.Thing.IsAttached': (c: ConnectionContext) => String(c.isAttached),
  'iot:Certificate.Subject.CommonName': (c: ConnectionContext) => c.certificateCommonName,
} as const satisfies Record<string, (c: ConnectionContext) => string | undefined>;
type VariableName = keyof typeof VARIABLES;

const CONDITION_OPERATORS = ['Bool', 'StringEquals', 'StringNotEquals', 'StringLike'] as const;
type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

type Part = { literal: string } | { wildcard: '*' | '?' } | { variable: VariableName };

interface CompiledCondition {
  operator: ConditionOperator;
  key: VariableName;
  values: string[];
}

interface CompiledStatement {
  effect: 'Allow' | 'Deny';
  actions: RegExp[];
  resources: Part[][];
  conditions: CompiledCondition[];
}

export interface CompiledPolicy {
  readonly statements: readonly CompiledStatement[];
}

function isVariable(name: string): name is VariableName {
  return Object.hasOwn(VARIABLES, name);
}

function parsePattern(pattern: string, where: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push({ literal });
    literal = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) throw new PolicyError(`${where}: unterminated policy variable in ${pattern}`);
      const name = pattern.slice(i + 2, end);
      if (!isVariable(name)) {
        throw new PolicyError(
          `${where}: unsupported policy variable \${${name}} (use one of ${Object.keys(VARIABLES).join(', ')})`,
        );
      }
      flush();
      parts.push({ variable: name });
      i = end;
    } else if (ch === '*' || ch === '?') {
      flush();
      parts.push({ wildcard: ch });
    } else {
      literal += ch;
    }
  }
  flush();
  return parts;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Builds the regex for one pattern in one connection's context; undefined when a variable has no value. */
function bindPattern(parts: Part[], ctx: ConnectionContext, flags = ''): RegExp | undefined {
  let source = '';
  for (const part of parts) {
    if ('literal' in part) source += escapeRegExp(part.literal);
    else if ('wildcard' in part) source += part.wildcard === '*' ? '.*' : '.';
    else {
      const value = VARIABLES[part.variable](ctx);
      // IoT treats a policy variable it cannot resolve as matching nothing.
      if (value === undefined) return undefined;
      source += escapeRegExp(value);
    }
  }
  return new RegExp(`^${source}$`, flags);
}

function toArray(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => typeof v === 'string')) {
    throw new PolicyError(`${where} must be a string or a non-empty list of strings`);
  }
  return list;
}

/** Validates and pre-parses a policy document; throws PolicyError naming the statement and field. */
export function compilePolicy(doc: IotPolicyDocument): CompiledPolicy {
  if (doc.Version !== '2012-10-17') {
    throw new PolicyError(`policy Version must be "2012-10-17", got ${JSON.stringify(doc.Version)}`);
  }
  const statements = doc.Statement.map((s, i): CompiledStatement => {
    const where = `Statement[${i}]`;
    for (const key of Object.keys(s)) {
      if (!['Effect', 'Action', 'Resource', 'Condition', 'Sid'].includes(key)) {
        throw new PolicyError(`${where}.${key} is not supported by the local IoT Core (use Action/Resource)`);
      }
    }
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      throw new PolicyError(`${where}.Effect must be Allow or Deny`);
    }
    const actions = toArray(s.Action, `${where}.Action`).map((a) => {
      const parts = parsePattern(a, `${where}.Action`);
      // Action names are case-insensitive in IAM-style policies.
      return bindPattern(parts, { clientId: '', isAttached: false }, 'i')!;
    });
    const resources = toArray(s.Resource, `${where}.Resource`).map((r) =>
      parsePattern(r, `${where}.Resource`),
    );
    const conditions: CompiledCondition[] = [];
    for (const [operator, block] of Object.entries(s.Condition ?? {})) {
      if (!(CONDITION_OPERATORS as readonly string[]).includes(operator)) {
        throw new PolicyError(
          `${where}.Condition.${operator} is not supported (use one of ${CONDITION_OPERATORS.join(', ')})`,
        );
      }
      for (const [key, values] of Object.entries(block)) {
        if (!isVariable(key)) throw new PolicyError(`${where}.Condition.${operator}: unknown key ${key}`);
        conditions.push({
          operator: operator as ConditionOperator,
          key,
          values: toArray(values, `${where}.Condition.${operator}.${key}`),
        });
      }
    }
    return { effect: s.Effect, actions, resources, conditions };
  });
  return { statements };
}

function conditionHolds(c: CompiledCondition, ctx: ConnectionContext): boolean {
  const actual = VARIABLES[c.key](ctx);
  if (actual === undefined) return c.operator === 'StringNotEquals';
  switch (c.operator) {
    case 'Bool':
      return c.values.some((v) => v.toLowerCase() === actual.toLowerCase());
    case 'StringEquals':
      return c.values.includes(actual);
    case 'StringNotEquals':
      return !c.values.includes(actual);
    case 'StringLike':
      return c.values.some((v) => bindPattern(parsePattern(v, 'Condition'), ctx)?.test(actual) ?? false);
  }
}

/** Builds the ARN IoT Core evaluates for an action on a client id, topic or topic filter. */
export function resourceArn(scope: PolicyScope, action: IotAction, name: string): string {
  return `arn:${scope.partition ?? 'aws'}:iot:${scope.region}:${scope.accountId}:${RESOURCE_TYPE[action]}/${name}`;
}

/**
 * One connection's view of a policy: variables and conditions resolved once at CONNECT, so each
 * publish costs a few regex tests. Decisions are memoised per action and resource.
 */
export class BoundPolicy {
  private readonly byAction = new Map<string, { effect: 'Allow' | 'Deny'; resources: RegExp[] }[]>();
  private readonly memo = new Map<string, Decision>();

  constructor(
    private readonly policy: CompiledPolicy,
    private readonly ctx: ConnectionContext,
  ) {}

  decide(action: IotAction, resource: string): Decision {
    const key = `${action} ${resource}`;
    const cached = this.memo.get(key);
    if (cached) return cached;
    let decision: Decision = 'ImplicitDeny';
    for (const s of this.statementsFor(action)) {
      if (!s.resources.some((r) => r.test(resource))) continue;
      if (s.effect === 'Deny') {
        decision = 'ExplicitDeny';
        break;
      }
      decision = 'Allow';
    }
    // Topics are unbounded; keep the memo from growing without limit on a chatty client.
    if (this.memo.size > 4096) this.memo.clear();
    this.memo.set(key, decision);
    return decision;
  }

  private statementsFor(action: IotAction) {
    let list = this.byAction.get(action);
    if (!list) {
      list = this.policy.statements
        .filter((s) => s.actions.some((a) => a.test(action)))
        .filter((s) => s.conditions.every((c) => conditionHolds(c, this.ctx)))
        .map((s) => ({
          effect: s.effect,
          resources: s.resources.map((r) => bindPattern(r, this.ctx)).filter((r) => r !== undefined),
        }));
      this.byAction.set(action, list);
    }
    return list;
  }
}

/** One-shot evaluation: the same rules as BoundPolicy, for callers with a single question. */
export function evaluatePolicy(
  policy: CompiledPolicy,
  ctx: ConnectionContext,
  action: IotAction,
  resource: string,
): Decision {
  return new BoundPolicy(policy, ctx).decide(action, resource);
}
