import { join } from 'node:path';
import {
  DescribeCACertificateCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  GetRegistrationCodeCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListThingsInThingGroupCommand,
  RegisterCACertificateCommand,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificateId,
  certsLayout,
  initCa,
  issueDeviceCertificate,
  Registry,
  registerCa,
} from '../../../certs-tool/index.js';
import { cpSync, readFileSync } from 'node:fs';
import { signVerificationCertificate } from '../../../certs-tool/leaf.js';
import { deviceTopic, FLEET, jitpTemplateBody } from '../../../protocol/index.js';
import type { DeniedEvent } from '../../../local/iot/index.js';
import {
  connectRefused,
  connectTower,
  type Harness,
  makeCerts,
  removeDirs,
  startHarness,
  tempDir,
  waitFor,
} from './support.js';

/** A second certs-tool directory: a fleet CA the broker has never heard of and a tower it signed. */
async function otherFleet(towerId: string): Promise<string> {
  const dir = tempDir('fleet');
  await initCa(dir);
  await issueDeviceCertificate(dir, towerId);
  return dir;
}

const idOf = (dir: string, towerId: string) =>
  certificateId(readFileSync(join(certsLayout(dir).device(towerId).certPath), 'utf8'));

describe('local IoT Core: just-in-time provisioning', { timeout: 60_000 }, () => {
  let h: Harness;
  let iot: IoTClient;
  let jitpFleet: string;
  let plainFleet: string;
  let stranger: string;
  const denied: DeniedEvent[] = [];

  beforeAll(async () => {
    h = await startHarness(await makeCerts([]));
    h.iot.on('denied', (e) => denied.push(e));
    iot = new IoTClient({
      endpoint: h.iot.dataPlaneUrl,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    [jitpFleet, plainFleet, stranger] = await Promise.all([
      otherFleet('tower-j1'),
      otherFleet('tower-p1'),
      otherFleet('tower-s1'),
    ]);
    expect((await registerCa({ iot, dir: jitpFleet, jitp: {} })).outcome).toBe('registered');
    expect((await registerCa({ iot, dir: plainFleet })).outcome).toBe('registered');
  });

  afterAll(async () => {
    iot.destroy();
    await h.cleanup();
    removeDirs(h.certsDir, h.stateDir, jitpFleet, plainFleet, stranger);
  });

  it('keeps the CA registration as RegisterCACertificate asked: active, auto-registration, template', async () => {
    const caId = certificateId(readFileSync(certsLayout(jitpFleet).caCertPath, 'utf8'));
    const d = await iot.send(new DescribeCACertificateCommand({ certificateId: caId }));
    expect(d.certificateDescription).toMatchObject({ status: 'ACTIVE', autoRegistrationStatus: 'ENABLE' });
    expect(d.registrationConfig).toEqual({ templateName: 'towerwatch-jitp' });
  });

  it('drops the first connection of an unknown certificate and provisions it as the template says', async () => {
    const id = idOf(jitpFleet, 'tower-j1');
    expect(Registry.load(h.certsDir).find(id)).toBeUndefined();

    const err = await connectRefused(h, 'tower-j1', { identityDir: join(jitpFleet, 'devices', 'tower-j1') });
    // No CONNACK: the socket is closed, as IoT does after a just-in-time registration.
    expect(err.message).not.toMatch(/Not authorized|Connection refused/);
    expect(denied.at(-1)?.reason).toBe('certificate registered just in time, now ACTIVE; reconnect');

    const cert = await iot.send(new DescribeCertificateCommand({ certificateId: id }));
    expect(cert.certificateDescription?.status).toBe('ACTIVE');
    expect(Registry.load(h.certsDir).find(id)).toMatchObject({ towerId: 'tower-j1', kind: 'device' });
    const thing = await iot.send(new DescribeThingCommand({ thingName: 'tower-j1' }));
    expect(thing.thingName).toBe('tower-j1');
    const group = await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: FLEET.thingGroupName }));
    expect(group.things).toEqual(['tower-j1']);
    const policies = await iot.send(
      new ListAttachedPoliciesCommand({ target: cert.certificateDescription!.certificateArn! }),
    );
    expect(policies.policies?.map((p) => p.policyName)).toEqual([FLEET.towerPolicyName]);
  });

  it('lets the retry in, under the tower policy of the provisioned thing', async () => {
    const identityDir = join(jitpFleet, 'devices', 'tower-j1');
    const client = await connectTower(h, 'tower-j1', { identityDir });
    let published = false;
    h.iot.on('publish', (e) => {
      if (e.clientId === 'tower-j1' && e.topic === deviceTopic('tower-j1', 'status')) published = true;
    });
    await client.publishAsync(deviceTopic('tower-j1', 'status'), '{}', { qos: 1 });
    await waitFor(() => published, 'the publish');
    // Only as itself: the tower policy's client-id condition holds for provisioned things too.
    const err = await connectRefused(h, 'tower-j1', { identityDir, clientId: 'tower-other' });
    expect(err.message).toMatch(/Not authorized/);
    await client.endAsync();
  });

  it('refuses, and registers nothing for, a certificate whose CA has auto-registration off', async () => {
    const err = await connectRefused(h, 'tower-p1', { identityDir: join(plainFleet, 'devices', 'tower-p1') });
    expect(err.message).toMatch(/Not authorized/);
    expect(denied.at(-1)?.reason).toMatch(/auto-registration off/);
    expect(Registry.load(h.certsDir).find(idOf(plainFleet, 'tower-p1'))).toBeUndefined();
  });

  it('refuses a certificate from a CA nobody registered at the TLS handshake', async () => {
    await connectRefused(h, 'tower-s1', { identityDir: join(stranger, 'devices', 'tower-s1') });
    expect(denied.at(-1)?.action).toBe('tls');
    expect(Registry.load(h.certsDir).find(idOf(stranger, 'tower-s1'))).toBeUndefined();
  });

  it('leaves the certificate PENDING_ACTIVATION when the template fails, and refuses it from then on', async () => {
    const dir = await otherFleet('tower-f1');
    try {
      const { registrationCode } = await iot.send(new GetRegistrationCodeCommand({}));
      await iot.send(
        new RegisterCACertificateCommand({
          caCertificate: readFileSync(certsLayout(dir).caCertPath, 'utf8'),
          verificationCertificate: await signVerificationCertificate(dir, registrationCode!),
          setAsActive: true,
          allowAutoRegistration: true,
          registrationConfig: {
            templateBody: jitpTemplateBody({ thingGroupName: 'no-such-group' }),
            roleArn: 'arn:aws:iam::000000000000:role/jitp',
          },
        }),
      );
      const identityDir = join(dir, 'devices', 'tower-f1');
      await connectRefused(h, 'tower-f1', { identityDir });
      expect(denied.at(-1)?.reason).toBe(
        'certificate registered just in time, now PENDING_ACTIVATION: thing group no-such-group does not exist; reconnect',
      );
      const cert = await iot.send(new DescribeCertificateCommand({ certificateId: idOf(dir, 'tower-f1') }));
      expect(cert.certificateDescription?.status).toBe('PENDING_ACTIVATION');
      await expect(iot.send(new DescribeThingCommand({ thingName: 'tower-f1' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
      const err = await connectRefused(h, 'tower-f1', { identityDir });
      expect(err.message).toMatch(/Not authorized/);
      expect(denied.at(-1)?.reason).toBe('certificate is PENDING_ACTIVATION');
    } finally {
      removeDirs(dir);
    }
  });

  it("turns JITP on for the broker's own fleet CA, which certs-tool ca init registered", async () => {
    // A copy of the certs directory signs a tower the broker's registry never hears of.
    const factory = tempDir('factory');
    try {
      cpSync(h.certsDir, factory, { recursive: true });
      await issueDeviceCertificate(factory, 'tower-o1');
      const identityDir = join(factory, 'devices', 'tower-o1');
      const before = await connectRefused(h, 'tower-o1', { identityDir });
      expect(before.message).toMatch(/Not authorized/);

      expect((await registerCa({ iot, dir: h.certsDir, jitp: {} })).outcome).toBe('updated');
      await connectRefused(h, 'tower-o1', { identityDir });
      expect(denied.at(-1)?.reason).toBe('certificate registered just in time, now ACTIVE; reconnect');
      const client = await connectTower(h, 'tower-o1', { identityDir });
      expect(client.connected).toBe(true);
      await client.endAsync();
    } finally {
      removeDirs(factory);
    }
  });

  it('answers the control plane as IoT does: a second registration conflicts, a bad proof is invalid', async () => {
    const pem = readFileSync(certsLayout(jitpFleet).caCertPath, 'utf8');
    await expect(
      iot.send(new RegisterCACertificateCommand({ caCertificate: pem, verificationCertificate: pem })),
    ).rejects.toMatchObject({ name: 'InvalidRequestException' });
    await expect(registerCa({ iot, dir: stranger, jitp: { templateName: 'missing' } })).rejects.toThrow(
      /RegisterCACertificate failed: ResourceNotFoundException: provisioning template missing does not exist/,
    );
    // Re-running register-ca --jitp on a known CA updates it instead of registering it twice.
    expect((await registerCa({ iot, dir: jitpFleet, jitp: {} })).outcome).toBe('updated');
  });
});
