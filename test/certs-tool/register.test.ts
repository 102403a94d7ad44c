import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AddThingToThingGroupCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateThingCommand,
  DescribeCACertificateCommand,
  DescribeThingGroupCommand,
  GetRegistrationCodeCommand,
  IoTClient,
  RegisterCACertificateCommand,
  RegisterCertificateCommand,
  RegisterCertificateWithoutCACommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  certificateId,
  certsLayout,
  ensureFleet,
  registerTower,
  revokeTower,
} from '../../certs-tool/index.js';
import { FLEET } from '../../protocol/index.js';
import { makeTempDir, removeDir } from './helpers.js';

const ARN = 'arn:aws:iot:eu-west-1:123456789012:cert/abc';
const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });
const exists = (resourceArn?: string) =>
  Object.assign(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {}, resourceId: 'x' }), {
    ...(resourceArn ? { resourceArn } : {}),
  });

const iotMock = mockClient(IoTClient);
const commandNames = () =>
  iotMock.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));

let dir: string;
let iot: IoTClient;
beforeEach(async () => {
  iotMock.reset();
  dir = makeTempDir('register');
  await ensureFleet(dir, { towerIds: ['tower-1'] });
  iot = new IoTClient({ region: 'eu-west-1' });
});
afterEach(() => removeDir(dir));

describe('registerTower', () => {
  it('first run registers the CA with a proof-of-possession certificate, then certificate, thing, principal, policy, group', async () => {
    iotMock.on(DescribeCACertificateCommand).rejects(notFound());
    iotMock.on(GetRegistrationCodeCommand).resolves({ registrationCode: 'abc123regcode' });
    iotMock.on(RegisterCACertificateCommand).resolves({ certificateId: 'ca' });
    iotMock.on(RegisterCertificateCommand).resolves({ certificateArn: ARN, certificateId: 'abc' });
    iotMock.on(DescribeThingGroupCommand).resolves({ thingGroupName: FLEET.thingGroupName });

    const r = await registerTower({ iot, dir, towerId: 'tower-1' });

    expect(commandNames()).toEqual([
      'DescribeCACertificate',
      'GetRegistrationCode',
      'RegisterCACertificate',
      'RegisterCertificate',
      'CreateThing',
      'AttachThingPrincipal',
      'AttachPolicy',
      'DescribeThingGroup',
      'AddThingToThingGroup',
    ]);
    expect(r.calls).toEqual(commandNames());
    const layout = certsLayout(dir);
    const caPem = readFileSync(layout.caCertPath, 'utf8');
    expect(iotMock.commandCalls(DescribeCACertificateCommand)[0]!.args[0].input).toEqual({
      certificateId: certificateId(caPem),
    });
    const caInput = iotMock.commandCalls(RegisterCACertificateCommand)[0]!.args[0].input;
    expect(caInput.caCertificate).toBe(caPem);
    const verification = new X509Certificate(caInput.verificationCertificate!);
    expect(verification.subject).toBe('CN=abc123regcode');
    expect(verification.verify(new X509Certificate(caPem).publicKey)).toBe(true);
    const certInput = iotMock.commandCalls(RegisterCertificateCommand)[0]!.args[0].input;
    expect(certInput).toEqual({
      certificatePem: readFileSync(layout.device('tower-1').certPath, 'utf8'),
      caCertificatePem: caPem,
      status: 'ACTIVE',
    });
    expect(iotMock.commandCalls(CreateThingCommand)[0]!.args[0].input).toEqual({ thingName: 'tower-1' });
    expect(iotMock.commandCalls(AttachThingPrincipalCommand)[0]!.args[0].input).toEqual({
      thingName: 'tower-1',
      principal: ARN,
    });
    expect(iotMock.commandCalls(AttachPolicyCommand)[0]!.args[0].input).toEqual({
      policyName: FLEET.towerPolicyName,
      target: ARN,
    });
    expect(iotMock.commandCalls(AddThingToThingGroupCommand)[0]!.args[0].input).toEqual({
      thingGroupName: FLEET.thingGroupName,
      thingName: 'tower-1',
    });
    expect(r).toMatchObject({ thingName: 'tower-1', certificateArn: ARN, thingGroup: 'added' });
  });

  it('re-run is idempotent: CA registered once, "already exists" tolerated, missing group skipped', async () => {
    iotMock.on(DescribeCACertificateCommand).resolves({ certificateDescription: { certificateId: 'ca' } });
    iotMock.on(RegisterCertificateCommand).rejects(exists(ARN));
    iotMock.on(CreateThingCommand).rejects(exists());
    iotMock.on(DescribeThingGroupCommand).rejects(notFound());

    const r = await registerTower({ iot, dir, towerId: 'tower-1' });

    expect(commandNames()).toEqual([
      'DescribeCACertificate',
      'RegisterCertificate',
      'CreateThing',
      'AttachThingPrincipal',
      'AttachPolicy',
      'DescribeThingGroup',
    ]);
    expect(iotMock.commandCalls(AttachPolicyCommand)[0]!.args[0].input.target).toBe(ARN);
    expect(r.thingGroup).toBe('missing');
  });

  it('--dry-run prints every call and sends none', async () => {
    const lines: string[] = [];
    const r = await registerTower({ iot, dir, towerId: 'tower-1', dryRun: true, log: (l) => lines.push(l) });
    expect(iotMock.calls()).toHaveLength(0);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(r.calls);
    expect(r.calls).toContain('RegisterCACertificate');
    expect(lines.find((l) => l.startsWith('AttachPolicy'))).toContain(FLEET.towerPolicyName);
    expect(lines.join('\n')).not.toContain('BEGIN CERTIFICATE');
    expect(r.certificateArn).toBeNull();
  });

  it('--greengrass also attaches the Greengrass core policy, and names it when it is missing', async () => {
    iotMock.on(DescribeCACertificateCommand).resolves({});
    iotMock.on(RegisterCertificateCommand).resolves({ certificateArn: ARN });
    iotMock.on(DescribeThingGroupCommand).rejects(notFound());
    await registerTower({ iot, dir, towerId: 'tower-1', greengrass: true });
    expect(iotMock.commandCalls(AttachPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { policyName: FLEET.towerPolicyName, target: ARN },
      { policyName: FLEET.greengrassCorePolicyName, target: ARN },
    ]);

    iotMock.reset();
    iotMock.on(DescribeCACertificateCommand).resolves({});
    iotMock.on(RegisterCertificateCommand).resolves({ certificateArn: ARN });
    iotMock.on(AttachPolicyCommand, { policyName: FLEET.greengrassCorePolicyName }).rejects(notFound());
    await expect(registerTower({ iot, dir, towerId: 'tower-1', greengrass: true })).rejects.toThrow(
      `IoT policy ${FLEET.greengrassCorePolicyName} does not exist`,
    );
  });

  it('without a CA uses RegisterCertificateWithoutCA', async () => {
    iotMock.on(RegisterCertificateWithoutCACommand).resolves({ certificateArn: ARN });
    iotMock.on(DescribeThingGroupCommand).rejects(notFound());
    await registerTower({ iot, dir, towerId: 'tower-1', withoutCa: true });
    expect(commandNames()[0]).toBe('RegisterCertificateWithoutCA');
    expect(commandNames()).not.toContain('RegisterCACertificate');
  });

  it('refuses a revoked certificate before any call, and names a missing policy', async () => {
    iotMock.on(DescribeCACertificateCommand).resolves({});
    iotMock.on(RegisterCertificateCommand).resolves({ certificateArn: ARN });
    iotMock.on(AttachPolicyCommand).rejects(notFound());
    await expect(registerTower({ iot, dir, towerId: 'tower-1' })).rejects.toThrow(
      `IoT policy ${FLEET.towerPolicyName} does not exist`,
    );
    iotMock.reset();
    revokeTower(dir, 'tower-1');
    await expect(registerTower({ iot, dir, towerId: 'tower-1' })).rejects.toThrow(
      /refusing to register: .*REVOKED/,
    );
    expect(iotMock.calls()).toHaveLength(0);
  });

  it('unexpected AWS errors become one line with the command named', async () => {
    iotMock
      .on(DescribeCACertificateCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(registerTower({ iot, dir, towerId: 'tower-1' })).rejects.toThrow(
      /^DescribeCACertificate failed: AccessDeniedException: User is not authorized/,
    );
  });
});
