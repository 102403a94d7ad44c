import {
  AddThingToThingGroupCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateThingCommand,
  DescribeCACertificateCommand,
  DescribeCertificateCommand,
  DescribeThingGroupCommand,
  GetRegistrationCodeCommand,
  type IoTClient,
  RegisterCACertificateCommand,
  RegisterCertificateCommand,
  RegisterCertificateWithoutCACommand,
} from '@aws-sdk/client-iot';
import { assertTowerId, FLEET } from '../../protocol/index.js';
import { readCaCertificate } from '../ca.js';
import { CertsToolError, UnknownTowerError } from '../errors.js';
import { fileExists, readTextFile } from '../files.js';
import { signVerificationCertificate } from '../leaf.js';
import { certsLayout } from '../layout.js';
import { certificateId } from '../pki.js';
import { verifyCertificate } from '../verify.js';

export interface RegisterTowerOptions {
  /** created once per process by the caller (the CLI builds it from --region / AWS_REGION) */
  iot: IoTClient;
  dir: string;
  towerId: string;
  /** print the calls instead of sending them; the client is never used */
  dryRun?: boolean;
  /** register the device certificate alone (RegisterCertificateWithoutCA, multi-account mode) */
  withoutCa?: boolean;
  /** the tower is a Greengrass core device: also attach the Greengrass core policy */
  greengrass?: boolean;
  log?: (line: string) => void;
}

export interface RegisterTowerResult {
  thingName: string;
  certificateId: string;
  /** null in a dry run */
  certificateArn: string | null;
  /** commands in the order they were sent (or, in a dry run, would be) */
  calls: string[];
  /** whether the tower joined the fleet thing group (it is skipped when the group does not exist) */
  thingGroup: 'added' | 'missing' | 'planned';
}

interface AwsError {
  name?: string;
  message?: string;
  resourceArn?: string;
}

const isAws = (e: unknown, name: string): boolean => (e as AwsError)?.name === name;

function pemLabel(path: string): string {
  return `<PEM ${path}>`;
}

/**
 * Register a tower in AWS IoT: the fleet CA once, the device certificate, the thing, the principal
 * attachment, the fleet policy, and the fleet thing group when it exists. Every step tolerates
 * "already exists", so re-running after a partial failure finishes the job.
 */
export async function registerTower(opts: RegisterTowerOptions): Promise<RegisterTowerResult> {
  const towerId = assertTowerId(opts.towerId);
  const log = opts.log ?? (() => {});
  const layout = certsLayout(opts.dir);
  const device = layout.device(towerId);
  if (!fileExists(device.certPath)) {
    throw new UnknownTowerError(
      `tower ${towerId} has no certificate in ${device.dir}`,
      `run certs-tool device issue ${towerId} first`,
    );
  }
  const certificatePem = readTextFile(device.certPath, 'device certificate', 'check the file permissions');
  const verdict = await verifyCertificate(opts.dir, certificatePem);
  if (!verdict.ok) throw new CertsToolError(`refusing to register: ${verdict.problems[0]}`);
  const ca = readCaCertificate(opts.dir);
  const caId = certificateId(ca.pem);
  const calls: string[] = [];

  // A command runs (or in a dry run is printed) through here so the two paths cannot drift apart.
  async function call<T>(
    name: string,
    input: object,
    send: () => Promise<T>,
    shown: object = input,
  ): Promise<T | undefined> {
    calls.push(name);
    if (opts.dryRun) {
      log(`${name} ${JSON.stringify(shown)}`);
      return undefined;
    }
    log(name);
    try {
      return await send();
    } catch (e) {
      if ((e as AwsError).name === 'CredentialsProviderError') {
        throw new CertsToolError(
          `${name}: no AWS credentials`,
          'configure them (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID)',
        );
      }
      throw e;
    }
  }

  async function tolerate<T>(
    name: string,
    input: object,
    send: () => Promise<T>,
    errorName: string,
    shown?: object,
  ): Promise<T | AwsError | undefined> {
    try {
      return await call(name, input, send, shown);
    } catch (e) {
      if (!isAws(e, errorName)) throw wrap(name, e);
      log(`  ${name}: ${errorName === 'ResourceAlreadyExistsException' ? 'already exists' : 'not found'}`);
      return e as AwsError;
    }
  }

  let certificateArn: string | null = null;
  if (opts.withoutCa) {
    const input = { certificatePem, status: 'ACTIVE' as const };
    const out = await tolerate(
      'RegisterCertificateWithoutCA',
      input,
      () => opts.iot.send(new RegisterCertificateWithoutCACommand(input)),
      'ResourceAlreadyExistsException',
      { ...input, certificatePem: pemLabel(device.certPath) },
    );
    certificateArn = arnOf(out);
  } else {
    const describe = { certificateId: caId };
    const caKnown = await tolerate(
      'DescribeCACertificate',
      describe,
      () => opts.iot.send(new DescribeCACertificateCommand(describe)),
      'ResourceNotFoundException',
    );
    if (opts.dryRun || isAws(caKnown, 'ResourceNotFoundException')) {
      const code = await call('GetRegistrationCode', {}, () =>
        opts.iot.send(new GetRegistrationCodeCommand({})),
      );
      const verificationCertificate = code?.registrationCode
        ? await signVerificationCertificate(opts.dir, code.registrationCode)
        : '<CN=registration code, signed by the fleet CA>';
      const input = {
        caCertificate: ca.pem,
        verificationCertificate,
        setAsActive: true,
        allowAutoRegistration: false,
      };
      await tolerate(
        'RegisterCACertificate',
        input,
        () => opts.iot.send(new RegisterCACertificateCommand(input)),
        'ResourceAlreadyExistsException',
        { ...input, caCertificate: pemLabel(ca.caPath) },
      );
    }
    const input = { certificatePem, caCertificatePem: ca.pem, status: 'ACTIVE' as const };
    const out = await tolerate(
      'RegisterCertificate',
      input,
      () => opts.iot.send(new RegisterCertificateCommand(input)),
      'ResourceAlreadyExistsException',
      { ...input, certificatePem: pemLabel(device.certPath), caCertificatePem: pemLabel(ca.caPath) },
    );
    certificateArn = arnOf(out);
  }
  if (!opts.dryRun && !certificateArn) {
    const input = { certificateId: verdict.certificateId };
    const out = await call('DescribeCertificate', input, () =>
      opts.iot.send(new DescribeCertificateCommand(input)),
    );
    certificateArn = out?.certificateDescription?.certificateArn ?? null;
    if (!certificateArn)
      throw new CertsToolError(
        `AWS IoT returned no ARN for certificate ${verdict.certificateId}`,
        're-run register',
      );
  }
  const principal = certificateArn ?? '<certificateArn>';

  const thing = { thingName: towerId };
  await tolerate(
    'CreateThing',
    thing,
    () => opts.iot.send(new CreateThingCommand(thing)),
    'ResourceAlreadyExistsException',
  );
  const attach = { thingName: towerId, principal };
  await call('AttachThingPrincipal', attach, () =>
    opts.iot.send(new AttachThingPrincipalCommand(attach)),
  ).catch((e) => {
    throw wrap('AttachThingPrincipal', e);
  });
  const policies = [FLEET.towerPolicyName, ...(opts.greengrass ? [FLEET.greengrassCorePolicyName] : [])];
  for (const policyName of policies) {
    const policy = { policyName, target: principal };
    await call('AttachPolicy', policy, () => opts.iot.send(new AttachPolicyCommand(policy))).catch((e) => {
      if (isAws(e, 'ResourceNotFoundException')) {
        throw new CertsToolError(
          `IoT policy ${policyName} does not exist in this account and region`,
          'deploy the CDK app first (npx cdk deploy)',
        );
      }
      throw wrap('AttachPolicy', e);
    });
  }
  const group = { thingGroupName: FLEET.thingGroupName };
  const found = await tolerate(
    'DescribeThingGroup',
    group,
    () => opts.iot.send(new DescribeThingGroupCommand(group)),
    'ResourceNotFoundException',
  );
  let thingGroup: RegisterTowerResult['thingGroup'] = 'missing';
  if (opts.dryRun || !isAws(found, 'ResourceNotFoundException')) {
    const add = { thingGroupName: FLEET.thingGroupName, thingName: towerId };
    await call('AddThingToThingGroup', add, () => opts.iot.send(new AddThingToThingGroupCommand(add))).catch(
      (e) => {
        throw wrap('AddThingToThingGroup', e);
      },
    );
    thingGroup = opts.dryRun ? 'planned' : 'added';
  }
  return { thingName: towerId, certificateId: verdict.certificateId, certificateArn, calls, thingGroup };
}

function arnOf(out: unknown): string | null {
  const o = out as { certificateArn?: string; resourceArn?: string } | undefined;
  return o?.certificateArn ?? o?.resourceArn ?? null;
}

function wrap(name: string, e: unknown): Error {
  if (e instanceof CertsToolError) return e;
  const err = e as AwsError;
  return new CertsToolError(
    `${name} failed: ${err.name ?? 'Error'}: ${err.message ?? String(e)}`,
    'fix the cause and re-run; register is idempotent',
  );
}
