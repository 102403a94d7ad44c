/**
 * The local IoT Core: `startLocalIot({ certsDir, stateDir, kinesis, streamName })` gives an mTLS
 * MQTT broker enforcing the tower IoT policy, device shadows, the rules engine running the rules
 * the CDK app deploys, and the IoT data-plane HTTP API.
 */
export { certificateIdOf } from './broker/index.js';
export * from './errors.js';
export { BoundPolicy, compilePolicy, evaluatePolicy, resourceArn } from './policy/index.js';
export {
  type KinesisRecord,
  type KinesisSink,
  type LocalTopicRule,
  localKinesisClient,
  MemoryKinesisSink,
  type RuleAction,
  type RuleErrorPayload,
  type RuleOutcome,
  RulesEngine,
  SdkKinesisSink,
  startKinesisSinkInWorker,
  type WorkerKinesisSink,
} from './rules/index.js';
export { LocalIot, startLocalIot } from './service.js';
export * from './types.js';
