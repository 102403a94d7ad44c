import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  DEFAULT_BATCHING,
  DEFAULT_DETECTION_RULES,
  deviceTopic,
  FLEET,
  shadowTopic,
  shadowTopicPrefix,
  storedAckTopic,
  towerPolicyDocument,
} from '../../../protocol/index.js';
import { ARTIFACT, parseRecipe, renderRecipe } from '../../../edge/src/component/recipe.js';
import { loadEdgeConfig } from '../../../edge/src/config/index.js';
import { TYPICAL_TOWER_SENSORS } from '../../../edge/src/sensors/simulated/tower.js';

/** The parsed YAML, loose enough to break on purpose. */
// biome-ignore lint/suspicious/noExplicitAny: tests corrupt arbitrary recipe fields
type Recipeish = Record<string, any>;

const TEMPLATE = readFileSync(join(import.meta.dirname, '../../../edge/recipe.yaml'), 'utf8');
const THING = 'tower-r1';

function defaults() {
  const recipe = parseRecipe(TEMPLATE);
  return recipe.ComponentConfiguration!.DefaultConfiguration as Record<string, unknown> & {
    accessControl: Record<string, Record<string, { operations: string[]; resources: string[] }>>;
  };
}

/** IoT policy resource wildcard match (`*` = any characters). */
function policyAllows(action: string, topic: string): boolean {
  const doc = towerPolicyDocument({ region: 'eu-west-1', accountId: '123456789012' });
  return doc.Statement.filter((s) => s.Effect === 'Allow' && s.Action.includes(action)).some((s) =>
    s.Resource.some((r) => {
      const pattern = r
        .replace('${iot:Connection.Thing.ThingName}', THING)
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*');
      return new RegExp(`^${pattern}$`).test(`arn:aws:iot:eu-west-1:123456789012:topic/${topic}`);
    }),
  );
}

describe('edge/recipe.yaml', () => {
  it('is a valid Greengrass recipe: format 2020-01-25, Linux manifest, one unarchived ZIP run with node', () => {
    const recipe = parseRecipe(TEMPLATE);
    expect(recipe.ComponentName).toBe(FLEET.componentName);
    expect(recipe.Manifests).toHaveLength(1);
    const [manifest] = recipe.Manifests;
    expect(manifest!.Platform.os).toBe('linux');
    expect(manifest!.Artifacts).toHaveLength(1);
    expect(manifest!.Artifacts![0]).toMatchObject({ Unarchive: 'ZIP' });
    expect(manifest!.Artifacts![0]!.URI.endsWith(`/${ARTIFACT.zip}`)).toBe(true);
    const run = manifest!.Lifecycle!.run as { Script: string };
    expect(run.Script).toMatch(
      new RegExp(
        `^node \\{artifacts:decompressedPath\\}/${ARTIFACT.dir}/${ARTIFACT.bundle.replace('.', '\\.')} `,
      ),
    );
    expect(run.Script).toContain('--state-dir {work:path}');
  });

  it('the schema refuses what Greengrass would refuse', () => {
    const broken = (edit: (r: Recipeish) => void) => {
      const doc = parse(TEMPLATE);
      edit(doc);
      return () => parseRecipe(stringify(doc));
    };
    expect(broken((r) => (r.Manifests[0].Artifacts[0].Unarchive = 'TAR'))).toThrow(/Unarchive/);
    expect(broken((r) => delete r.ComponentPublisher)).toThrow(/ComponentPublisher/);
    expect(broken((r) => (r.RecipeFormatVersion = '2019-01-01'))).toThrow(/RecipeFormatVersion/);
    expect(broken((r) => (r.Manifests[0].Lifecycle.Startup = 'x'))).toThrow(/run or startup/);
    expect(broken((r) => (r.Manifests[0].Artifact = []))).toThrow(/Artifact/);
    expect(broken((r) => (r.ComponentVersion = '1.0'))).toThrow(/ComponentVersion/);
  });

  it('carries the sensing defaults, and the nucleus-merged configuration loads as the component config', () => {
    const { accessControl, ...config } = defaults();
    expect(accessControl).toBeDefined();
    const loaded = loadEdgeConfig({ greengrass: config, env: { AWS_IOT_THING_NAME: THING } });
    expect(loaded.towerId).toBe(THING);
    expect(loaded.tunable.rules).toEqual(DEFAULT_DETECTION_RULES);
    expect(loaded.batching).toEqual(DEFAULT_BATCHING);
    expect(loaded.sensors.map((s) => s.id)).toEqual(TYPICAL_TOWER_SENSORS.map((s) => s.id));
    expect(loaded.transport.kind).toBe('auto');
    expect(loaded.transport.confirmTimeoutMs).toBe(60_000);
  });

  it('grants exactly the IPC operations and topics the component uses, scoped to {iot:thingName}', () => {
    const { accessControl } = defaults();
    const grants = Object.entries(accessControl).flatMap(([service, policies]) =>
      Object.values(policies).flatMap((p) =>
        p.operations.map((op) => ({ service, op, resources: p.resources })),
      ),
    );
    expect(grants.map((g) => `${g.service} ${g.op}`).sort()).toEqual([
      'aws.greengrass.ShadowManager aws.greengrass#GetThingShadow',
      'aws.greengrass.ShadowManager aws.greengrass#UpdateThingShadow',
      'aws.greengrass.ipc.mqttproxy aws.greengrass#PublishToIoTCore',
      'aws.greengrass.ipc.mqttproxy aws.greengrass#SubscribeToIoTCore',
      'aws.greengrass.ipc.pubsub aws.greengrass#SubscribeToTopic',
    ]);
    const forThing = (op: string) =>
      grants.find((g) => g.op === op)!.resources.map((r) => r.replaceAll('{iot:thingName}', THING));
    for (const g of grants) {
      for (const r of g.resources) {
        expect(r).toContain('{iot:thingName}');
        expect(r).not.toMatch(/[*#+]/);
      }
    }
    const published = forThing('aws.greengrass#PublishToIoTCore');
    expect(published).toEqual((['telemetry', 'alert', 'status'] as const).map((t) => deviceTopic(THING, t)));
    // Whatever the nucleus publishes for the component must also pass the tower's IoT policy.
    for (const topic of published) expect(policyAllows('iot:Publish', topic)).toBe(true);
    // The cloud's stored acknowledgements; without the grant the IPC subscription is refused.
    expect(forThing('aws.greengrass#SubscribeToIoTCore')).toEqual([storedAckTopic(THING)]);
    expect(policyAllows('iot:Receive', storedAckTopic(THING))).toBe(true);
    expect(forThing('aws.greengrass#GetThingShadow')).toEqual([shadowTopicPrefix(THING, 'config')]);
    expect(forThing('aws.greengrass#SubscribeToTopic')).toEqual([
      shadowTopic(THING, 'config', 'update', 'delta'),
    ]);
  });

  it('renders with the version filled in and stays valid', () => {
    const text = renderRecipe(TEMPLATE, { version: '1.2.3' });
    expect(parseRecipe(text).ComponentVersion).toBe('1.2.3');
    expect(() => renderRecipe(TEMPLATE, { version: 'v1' })).toThrow(/major\.minor\.patch/);
  });
});
