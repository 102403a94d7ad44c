import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { recordCertificateUse } from '../../certs-tool/index.js';
import { systemClock } from '../../edge/src/ports.js';
import {
  FLEET,
  JITP,
  jitpTemplateBody,
  ruleActions,
  TOPIC_RULES,
  type TopicRuleDefinition,
  towerPolicyDocument,
} from '../../protocol/index.js';
import { loadTlsMaterial, MqttBroker, RegistryView } from './broker/index.js';
import { DataPlaneServer } from './dataplane/index.js';
import { LocalIotError } from './errors.js';
import { type CompiledPolicy, compilePolicy } from './policy/index.js';
import { ControlPlane, JustInTimeRegistrar, ProvisioningStore } from './provisioning/index.js';
import { type LocalTopicRule, type RuleErrorPayload, RulesEngine } from './rules/index.js';
import { FileShadowStore, ShadowService } from './shadow/index.js';
import {
  LOCAL_IOT_DEFAULTS,
  type LocalIotEvents,
  type LocalIotOptions,
  type LocalIotStats,
} from './types.js';

const emptyStats = (): LocalIotStats => ({
  connected: 0,
  connects: 0,
  connectsRefused: 0,
  disconnects: 0,
  publishesIn: 0,
  publishesDenied: 0,
  subscribesDenied: 0,
  receivesDenied: 0,
  shadowRequests: 0,
  ruleMatches: 0,
  ruleFailures: 0,
});

/**
 * A deployed rule definition runs its actions here: kinesis into the configured stream, lambda
 * through the given function's asynchronous invoke (left out when no such function runs, as with
 * `--only iot`); a failed action's error payload goes to errorSink.
 */
function toLocalRule(
  def: TopicRuleDefinition | LocalTopicRule,
  options: Pick<LocalIotOptions, 'streamName' | 'errorSink' | 'functions'>,
): LocalTopicRule {
  if (!('partitionKey' in def)) return def;
  const { streamName, errorSink } = options;
  const actions: LocalTopicRule['actions'] = [];
  for (const action of ruleActions(def)) {
    if (action.kind === 'kinesis') {
      actions.push({ kind: 'kinesis', streamName, partitionKey: def.partitionKey });
      continue;
    }
    const invoke = options.functions?.[action.function];
    if (invoke) actions.push({ kind: 'lambda', functionName: action.function, invoke });
  }
  return {
    name: def.name,
    sql: def.sql,
    actions,
    ...(errorSink && {
      errorAction: {
        kind: 'callback',
        name: 'errorSink',
        deliver: (bytes: Uint8Array) =>
          errorSink(JSON.parse(Buffer.from(bytes).toString('utf8')) as RuleErrorPayload),
      },
    }),
  };
}

/**
 * The local IoT Core: MQTT broker with mutual TLS and IoT policies, Device Shadow service,
 * rules engine and data-plane HTTP API, in this process. Create it with `startLocalIot`.
 */
export class LocalIot extends EventEmitter<LocalIotEvents> {
  private readonly counters = emptyStats();
  private readonly broker: MqttBroker;
  private readonly dataPlane: DataPlaneServer;
  private readonly host: string;
  private running = false;
  port: number;
  dataPlanePort: number;

  constructor(options: LocalIotOptions) {
    super();
    this.host = options.host ?? LOCAL_IOT_DEFAULTS.host;
    this.port = options.mqttPort ?? 0;
    this.dataPlanePort = options.dataPlanePort ?? 0;
    const clock = options.clock ?? systemClock;
    const scope = {
      region: options.region ?? LOCAL_IOT_DEFAULTS.region,
      accountId: options.accountId ?? LOCAL_IOT_DEFAULTS.accountId,
    };
    const shadows = new ShadowService(new FileShadowStore(join(options.stateDir, 'shadows')), clock);
    const rules = new RulesEngine(
      (options.rules ?? TOPIC_RULES).map((r) => toLocalRule(r, options)),
      {
        kinesis: options.kinesis,
        clock,
        republish: (topic, payload, qos) => this.broker.publish(topic, payload, qos),
        onOutcome: (outcome) => {
          this.counters.ruleMatches++;
          if (!outcome.ok) this.counters.ruleFailures++;
          this.emit('rule', outcome);
        },
      },
    );
    // What the CDK app deploys before any tower exists: the JITP template, the policy and group it names.
    const templates = new Map([[JITP.templateName, jitpTemplateBody()]]);
    const store = new ProvisioningStore(options.certsDir);
    const registrar = new JustInTimeRegistrar({
      certsDir: options.certsDir,
      store,
      templates,
      known: { policies: new Set([FLEET.towerPolicyName]), thingGroups: new Set([FLEET.thingGroupName]) },
      clock,
    });
    const towerPolicy = compilePolicy(towerPolicyDocument(scope));
    // No policy attached: IoT denies everything.
    const noPolicy = compilePolicy({ Version: '2012-10-17', Statement: [] });
    const policyFor = (certificateId: string): CompiledPolicy => {
      let attached: readonly string[] | undefined;
      try {
        attached = registrar.attachedPolicies(certificateId);
      } catch {
        return noPolicy; // an unreadable attachment list grants nothing
      }
      return !attached || attached.includes(FLEET.towerPolicyName) ? towerPolicy : noPolicy;
    };
    this.broker = new MqttBroker({
      tls: loadTlsMaterial(options.certsDir),
      registry: new RegistryView(options.certsDir),
      policy: towerPolicy,
      policyFor,
      registerUnknown: (der) => registrar.registerUnknown(der),
      trustedCas: () => loadTlsMaterial(options.certsDir).ca,
      scope,
      shadows,
      rules,
      clock,
      events: this,
      stats: this.counters,
      // As certs-tool rotation expects: the old certificate turns INACTIVE once the new one is used.
      onSuccessorInUse: (certificateId) => {
        recordCertificateUse(options.certsDir, certificateId, new Date(clock.now()));
      },
    });
    const control = new ControlPlane({
      certsDir: options.certsDir,
      store,
      templates,
      scope,
      clock,
      onCaChange: () => this.broker.refreshTrust(),
    });
    this.dataPlane = new DataPlaneServer({
      shadows,
      control: (req) => control.handle(req),
      publish: (topic, payload, qos, retain) => this.broker.publish(topic, payload, qos, retain),
    });
  }

  get mqttUrl(): string {
    return `mqtts://${this.host}:${this.port}`;
  }

  get dataPlaneUrl(): string {
    return `http://${this.host}:${this.dataPlanePort}`;
  }

  /** Listens again on the same ports after `stop()` (ports chosen at the first start are kept). */
  async start(): Promise<void> {
    if (this.running) return;
    this.port = await this.broker.start(this.host, this.port);
    try {
      this.dataPlanePort = await this.dataPlane.start(this.host, this.dataPlanePort);
    } catch (e) {
      await this.broker.stop();
      throw new LocalIotError(`data-plane port ${this.dataPlanePort}: ${(e as Error).message}`);
    }
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await Promise.all([this.broker.stop(), this.dataPlane.stop()]);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Closes a client's connection as IoT does on a server-initiated disconnect; false if not connected. */
  disconnectClient(clientId: string): boolean {
    return this.broker.disconnect(clientId);
  }

  /** Publishes as the service (like the data-plane Publish): subscribers and rules both see it. */
  publish(topic: string, payload: Buffer | string, qos: 0 | 1 = 0): Promise<void> {
    return this.broker.publish(topic, Buffer.from(payload), qos);
  }

  /** Resolves when every rule action started so far has completed. */
  drain(): Promise<void> {
    return this.broker.drain();
  }

  stats(): LocalIotStats {
    return { ...this.counters };
  }
}

export async function startLocalIot(options: LocalIotOptions): Promise<LocalIot> {
  const iot = new LocalIot(options);
  await iot.start();
  return iot;
}
