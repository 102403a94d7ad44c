import { z } from 'zod';
import { IOT } from '../../../protocol/index.js';

/** Where the kinesis rule action writes: the real Kinesis API, the embedded one, or memory in tests. */
export interface KinesisSink {
  putRecord(record: KinesisRecord): Promise<void>;
}
export interface KinesisRecord {
  streamName: string;
  partitionKey: string;
  data: Uint8Array;
}

/** Rule actions the local engine runs; templates use IoT substitution syntax (`${topic(3)}`). */
export const RuleActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('kinesis'), streamName: z.string().min(1), partitionKey: z.string().min(1) }),
  z.object({
    kind: z.literal('republish'),
    topic: z.string().min(1),
    qos: z.union([z.literal(0), z.literal(1)]),
  }),
  z.object({
    kind: z.literal('lambda'),
    /** Named in error payloads as `failedResource`. */
    functionName: z.string().min(1),
    /**
     * Hands the rule output to the function as an asynchronous (`Event`) invoke: resolves once the
     * event is accepted, not when the function has run; rejects only when it cannot be accepted.
     */
    invoke: z.custom<(event: Uint8Array) => void | Promise<void>>((f) => typeof f === 'function'),
  }),
  z.object({
    kind: z.literal('callback'),
    /** Named in error payloads as `failedResource`. */
    name: z.string().min(1),
    deliver: z.custom<(payload: Uint8Array) => void | Promise<void>>((f) => typeof f === 'function'),
  }),
]);
export type RuleAction = z.infer<typeof RuleActionSchema>;

export const LocalTopicRuleSchema = z.object({
  name: z.string().regex(IOT.ruleNamePattern, 'rule names use only A-Z a-z 0-9 _'),
  sql: z.string().min(1),
  actions: z.array(RuleActionSchema).min(1),
  errorAction: RuleActionSchema.optional(),
});
export type LocalTopicRule = z.infer<typeof LocalTopicRuleSchema>;

/** The IoT error-action payload, as IoT Core sends it to a rule's errorAction. */
export interface RuleErrorPayload {
  ruleName: string;
  topic: string;
  cloudwatchTraceId: string;
  clientId: string;
  base64OriginalPayload: string;
  failures: { failedAction: string; failedResource: string; errorMessage: string }[];
}

/** One incoming message as the rules engine sees it. */
export interface RuleMessage {
  topic: string;
  payload: Buffer;
  clientId?: string;
  /** Certificate id of the publisher (what `principal()` returns for X.509 clients). */
  principal?: string;
  /** When the broker received it, epoch ms; the latency the benchmark reports starts here. */
  receivedAt: number;
}

/** Emitted once per rule that matched a message. */
export interface RuleOutcome {
  ruleName: string;
  topic: string;
  clientId?: string;
  receivedAt: number;
  ok: boolean;
  failures: RuleErrorPayload['failures'];
}
