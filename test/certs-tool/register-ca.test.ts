import { X509Certificate } from 'node:crypto';
import {
  DescribeCACertificateCommand,
  GetRegistrationCodeCommand,
  IoTClient,
  RegisterCACertificateCommand,
  ResourceNotFoundException,
  UpdateCACertificateCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateId, certsLayout, initCa, registerCa } from '../../certs-tool/index.js';
import { runCertsTool as runMain } from '../support/certs-tool.js';
import { readFileSync } from 'node:fs';
import { JITP } from '../../protocol/index.js';
import { makeTempDir, removeDir } from './helpers.js';

const ROLE = 'arn:aws:iam::123456789012:role/Towerwatch-ProvisioningRole-ABC';
const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });
const iotMock = mockClient(IoTClient);
const commandNames = () =>
  iotMock.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));

let dir: string;
let iot: IoTClient;
let caPem: string;
beforeEach(async () => {
  iotMock.reset();
  dir = makeTempDir('register-ca');
  await initCa(dir);
  caPem = readFileSync(certsLayout(dir).caCertPath, 'utf8');
  iot = new IoTClient({ region: 'eu-west-1' });
});
afterEach(() => removeDir(dir));

describe('registerCa --jitp', () => {
  it('registers a new CA active, with auto-registration and the JITP template and role', async () => {
    iotMock.on(DescribeCACertificateCommand).rejects(notFound());
    iotMock.on(GetRegistrationCodeCommand).resolves({ registrationCode: 'regcode42' });
    iotMock.on(RegisterCACertificateCommand).resolves({ certificateId: 'ca' });

    const r = await registerCa({ iot, dir, jitp: { roleArn: ROLE } });

    expect(r.outcome).toBe('registered');
    expect(commandNames()).toEqual(['DescribeCACertificate', 'GetRegistrationCode', 'RegisterCACertificate']);
    expect(iotMock.commandCalls(DescribeCACertificateCommand)[0]!.args[0].input).toEqual({
      certificateId: certificateId(caPem),
    });
    const input = iotMock.commandCalls(RegisterCACertificateCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      caCertificate: caPem,
      setAsActive: true,
      allowAutoRegistration: true,
      registrationConfig: { templateName: JITP.templateName, roleArn: ROLE },
    });
    // The proof of possession: CN = the registration code, signed by this CA.
    const proof = new X509Certificate(input.verificationCertificate!);
    expect(proof.subject).toBe('CN=regcode42');
    expect(proof.verify(new X509Certificate(caPem).publicKey)).toBe(true);
  });

  it('switches JITP on for a CA already registered, without registering it again', async () => {
    iotMock.on(DescribeCACertificateCommand).resolves({ certificateDescription: { status: 'ACTIVE' } });
    iotMock.on(UpdateCACertificateCommand).resolves({});

    const r = await registerCa({ iot, dir, jitp: { templateName: 'fleet-b' } });

    expect(r.outcome).toBe('updated');
    expect(commandNames()).toEqual(['DescribeCACertificate', 'UpdateCACertificate']);
    expect(iotMock.commandCalls(UpdateCACertificateCommand)[0]!.args[0].input).toEqual({
      certificateId: certificateId(caPem),
      newStatus: 'ACTIVE',
      newAutoRegistrationStatus: 'ENABLE',
      registrationConfig: { templateName: 'fleet-b' },
    });
  });

  it('without --jitp registers the CA with auto-registration off and leaves a known CA alone', async () => {
    iotMock.on(DescribeCACertificateCommand).rejects(notFound());
    iotMock.on(GetRegistrationCodeCommand).resolves({ registrationCode: 'c' });
    iotMock.on(RegisterCACertificateCommand).resolves({});
    await registerCa({ iot, dir });
    const input = iotMock.commandCalls(RegisterCACertificateCommand)[0]!.args[0].input;
    expect(input.allowAutoRegistration).toBe(false);
    expect(input.registrationConfig).toBeUndefined();

    iotMock.reset();
    iotMock.on(DescribeCACertificateCommand).resolves({ certificateDescription: { status: 'ACTIVE' } });
    expect((await registerCa({ iot, dir })).outcome).toBe('unchanged');
    expect(commandNames()).toEqual(['DescribeCACertificate']);
  });

  it('a dry run sends nothing and prints the calls it would make', async () => {
    const lines: string[] = [];
    const r = await registerCa({ iot, dir, jitp: {}, dryRun: true, log: (l) => lines.push(l) });
    expect(iotMock.calls()).toHaveLength(0);
    expect(r.calls).toEqual(['DescribeCACertificate', 'GetRegistrationCode', 'RegisterCACertificate']);
    expect(lines.at(-1)).toContain('"allowAutoRegistration":true');
    expect(lines.at(-1)).toContain(`"templateName":"${JITP.templateName}"`);
  });

  it('names the field and the fix for a bad role ARN or template name, before any call', async () => {
    await expect(registerCa({ iot, dir, jitp: { roleArn: 'my-role' } })).rejects.toThrow(
      /role ARN "my-role" is not an IAM role ARN \(pass the JitpRoleArn stack output/,
    );
    await expect(registerCa({ iot, dir, jitp: { templateName: 'a b' } })).rejects.toThrow(
      /template name "a b" is not a provisioning template name/,
    );
    expect(iotMock.calls()).toHaveLength(0);
  });

  it('turns an AWS failure into one line naming the call', async () => {
    iotMock.on(DescribeCACertificateCommand).resolves({ certificateDescription: {} });
    iotMock.on(UpdateCACertificateCommand).rejects(notFound());
    await expect(registerCa({ iot, dir, jitp: {} })).rejects.toThrow(
      /^UpdateCACertificate failed: ResourceNotFoundException: not found \(deploy the CDK app first/,
    );
  });
});

describe('certs-tool register-ca', () => {
  it('has --help', async () => {
    const r = await runMain(['register-ca', '--help']);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toContain('--jitp');
  });

  it('refuses JITP options without --jitp, in one line naming the fix', async () => {
    const r = await runMain(['register-ca', '--role-arn', ROLE, '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['certs-tool: --template-name and --role-arn configure JITP (add --jitp)']);
  });

  it('refuses an endpoint that is not a URL', async () => {
    const r = await runMain(['register-ca', '--jitp', '--endpoint', 'nope', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['certs-tool: --endpoint nope is not a URL (pass e.g. http://127.0.0.1:8443)']);
  });

  it('prints the calls of a dry run without a region', async () => {
    const r = await runMain(['register-ca', '--jitp', '--dry-run', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.out.map((l) => l.split(' ')[0])).toEqual([
      'DescribeCACertificate',
      'GetRegistrationCode',
      'RegisterCACertificate',
    ]);
  });
});
