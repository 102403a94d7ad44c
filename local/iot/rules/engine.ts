import { randomUUID } from 'node:crypto';
import { topicMatches } from '../../../protocol/index.js';
import type { Clock } from '../../../edge/src/ports.js';
import { LocalIotError, SqlParseError } from '../errors.js';
import { evaluateQuery, type MessageContext, parseQuery, type Query, type SqlValue } from '../sql/index.js';
import { parseTemplate, renderTemplate, type Template } from './template.js';
import {
  type KinesisSink,
  type LocalTopicRule,
  LocalTopicRuleSchema,
  type RuleAction,
  type RuleErrorPayload,
  type RuleMessage,
  type RuleOutcome,
} from './types.js';

type CompiledAction =
  | { kind: 'kinesis'; streamName: string; partitionKey: Template }
  | { kind: 'republish'; topic: Template; qos: 0 | 1 }
  | { kind: 'lambda'; functionName: string; invoke: (event: Uint8Array) => void | Promise<void> }
  | { kind: 'callback'; name: string; deliver: (payload: Uint8Array) => void | Promise<void> };

interface CompiledRule {
  name: string;
  query: Query;
  actions: CompiledAction[];
  errorAction?: CompiledAction;
}

export interface RulesEngineDeps {
  kinesis: KinesisSink;
  /** Publishes a republish action's output back into the broker. */
  republish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  clock: Clock;
  onOutcome?(outcome: RuleOutcome): void;
}

const BASIC_INGEST = /^\$aws\/rules\/([a-zA-Z0-9_]+)\/(.+)$/;

function compileAction(rule: string, a: RuleAction): CompiledAction {
  try {
    switch (a.kind) {
      case 'kinesis':
        return { kind: 'kinesis', streamName: a.streamName, partitionKey: parseTemplate(a.partitionKey) };
      case 'republish':
        return { kind: 'republish', topic: parseTemplate(a.topic), qos: a.qos };
      case 'lambda':
      case 'callback':
        return a;
    }
  } catch (e) {
    if (e instanceof SqlParseError) throw new LocalIotError(`rule ${rule}: action template: ${e.message}`);
    throw e;
  }
}

/** Compiles rule definitions; any parse error names the rule and the position in its SQL. */
export function compileRules(rules: readonly LocalTopicRule[]): CompiledRule[] {
  const seen = new Set<string>();
  return rules.map((raw) => {
    const parsed = LocalTopicRuleSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new LocalIotError(`rule ${raw.name}: ${issue.path.join('.')}: ${issue.message}`);
    }
    const r = parsed.data;
    if (seen.has(r.name)) throw new LocalIotError(`rule ${r.name} is defined twice (rule names are unique)`);
    seen.add(r.name);
    let query: Query;
    try {
      query = parseQuery(r.sql);
    } catch (e) {
      if (e instanceof SqlParseError) throw new LocalIotError(`rule ${r.name}: ${e.message}`);
      throw e;
    }
    return {
      name: r.name,
      query,
      actions: r.actions.map((a) => compileAction(r.name, a)),
      ...(r.errorAction && { errorAction: compileAction(r.name, r.errorAction) }),
    };
  });
}

const FAILED_ACTION = {
  kinesis: 'KinesisAction',
  republish: 'RepublishAction',
  lambda: 'LambdaAction',
  callback: 'CallbackAction',
};

function serialize(output: SqlValue): Buffer {
  return Buffer.isBuffer(output) ? output : Buffer.from(JSON.stringify(output), 'utf8');
}

/** The rules engine: matches each message against every rule's FROM filter and runs the actions. */
export class RulesEngine {
  private readonly rules: CompiledRule[];

  constructor(
    rules: readonly LocalTopicRule[],
    private readonly deps: RulesEngineDeps,
  ) {
    this.rules = compileRules(rules);
  }

  get ruleNames(): string[] {
    return this.rules.map((r) => r.name);
  }

  /**
   * Routes one message. A Basic Ingest topic `$aws/rules/<rule>/<rest>` reaches only that rule,
   * which sees `<rest>` as the topic; every other topic reaches each rule whose filter matches.
   */
  async dispatch(msg: RuleMessage): Promise<void> {
    const ingest = BASIC_INGEST.exec(msg.topic);
    if (ingest) {
      const rule = this.rules.find((r) => r.name === ingest[1]);
      const topic = ingest[2]!;
      if (rule && topicMatches(rule.query.from, topic)) await this.run(rule, { ...msg, topic });
      return;
    }
    if (msg.topic.startsWith('$aws/rules/')) return;
    const matching = this.rules.filter((r) => topicMatches(r.query.from, msg.topic));
    await Promise.all(matching.map((r) => this.run(r, msg)));
  }

  private async run(rule: CompiledRule, msg: RuleMessage): Promise<void> {
    const ctx = this.context(msg);
    const failures: RuleErrorPayload['failures'] = [];
    let matched = false;
    try {
      const result = evaluateQuery(rule.query, ctx);
      if (result.matched) {
        matched = true;
        const data = serialize(result.output);
        await Promise.all(
          rule.actions.map(async (a) => {
            try {
              await this.execute(a, data, ctx);
            } catch (e) {
              failures.push(this.failure(a, ctx, (e as Error).message));
            }
          }),
        );
      }
    } catch (e) {
      matched = true;
      failures.push({
        failedAction: 'SqlEvaluation',
        failedResource: rule.name,
        errorMessage: (e as Error).message,
      });
    }
    if (!matched) return;
    if (failures.length > 0 && rule.errorAction) await this.runErrorAction(rule, msg, ctx, failures);
    this.deps.onOutcome?.({
      ruleName: rule.name,
      topic: msg.topic,
      ...(msg.clientId !== undefined && { clientId: msg.clientId }),
      receivedAt: msg.receivedAt,
      ok: failures.length === 0,
      failures,
    });
  }

  private context(msg: RuleMessage): MessageContext {
    let json: unknown;
    try {
      json = JSON.parse(msg.payload.toString('utf8'));
    } catch {
      json = undefined;
    }
    return {
      topic: msg.topic,
      payload: msg.payload,
      json,
      ...(msg.clientId !== undefined && { clientId: msg.clientId }),
      ...(msg.principal !== undefined && { principal: msg.principal }),
      now: this.deps.clock.now(),
    };
  }

  private async execute(a: CompiledAction, data: Buffer, ctx: MessageContext): Promise<void> {
    switch (a.kind) {
      case 'kinesis':
        await this.deps.kinesis.putRecord({
          streamName: a.streamName,
          partitionKey: renderTemplate(a.partitionKey, ctx),
          data,
        });
        return;
      case 'republish':
        await this.deps.republish(renderTemplate(a.topic, ctx), data, a.qos);
        return;
      case 'lambda':
        await a.invoke(data);
        return;
      case 'callback':
        await a.deliver(data);
    }
  }

  private failure(a: CompiledAction, ctx: MessageContext, errorMessage: string) {
    const failedResource =
      a.kind === 'kinesis'
        ? a.streamName
        : a.kind === 'republish'
          ? renderTemplate(a.topic, ctx)
          : a.kind === 'lambda'
            ? a.functionName
            : a.name;
    return { failedAction: FAILED_ACTION[a.kind], failedResource, errorMessage };
  }

  private async runErrorAction(
    rule: CompiledRule,
    msg: RuleMessage,
    ctx: MessageContext,
    failures: RuleErrorPayload['failures'],
  ): Promise<void> {
    const payload: RuleErrorPayload = {
      ruleName: rule.name,
      topic: msg.topic,
      cloudwatchTraceId: randomUUID(),
      clientId: msg.clientId ?? '',
      base64OriginalPayload: msg.payload.toString('base64'),
      failures,
    };
    try {
      await this.execute(rule.errorAction!, Buffer.from(JSON.stringify(payload), 'utf8'), ctx);
    } catch (e) {
      // IoT Core does not retry a failing error action either; the failure stays visible in the outcome.
      failures.push(this.failure(rule.errorAction!, ctx, `errorAction failed: ${(e as Error).message}`));
    }
  }
}
