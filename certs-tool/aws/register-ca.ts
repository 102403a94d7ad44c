import {
  DescribeCACertificateCommand,
  GetRegistrationCodeCommand,
  type IoTClient,
  RegisterCACertificateCommand,
  type RegistrationConfig,
  UpdateCACertificateCommand,
} from '@aws-sdk/client-iot';
import { JITP } from '../../protocol/index.js';
import { readCaCertificate } from '../ca.js';
import { CertsToolError } from '../errors.js';
import { signVerificationCertificate } from '../leaf.js';
import { certificateId } from '../pki.js';

/** What JITP runs for the CA's certificates: a deployed template by name, or a body sent along. */
export interface JitpRegistration {
  /** Provisioning template name (the CDK app's `JitpTemplateName` output); default `towerwatch-jitp`. */
  templateName?: string;
  /** Role IoT assumes to provision (the `JitpRoleArn` output); the named template carries its own. */
  roleArn?: string;
}

export interface RegisterCaOptions {
  /** created once per process by the caller (the CLI builds it from --region / --endpoint) */
  iot: IoTClient;
  dir: string;
  /** enable auto-registration with this provisioning; without it the CA is registered alone */
  jitp?: JitpRegistration;
  /** print the calls instead of sending them; the client is never used */
  dryRun?: boolean;
  log?: (line: string) => void;
}

export interface RegisterCaResult {
  caCertificateId: string;
  /** `registered`: new in the account; `updated`: known, JITP switched on; `unchanged`: known, nothing asked */
  outcome: 'registered' | 'updated' | 'unchanged' | 'planned';
  calls: string[];
}

const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/?[\w+=,.@/-]+$/;
const TEMPLATE_NAME = /^[0-9A-Za-z_-]{1,36}$/;

export function registrationConfigOf(jitp: JitpRegistration): RegistrationConfig {
  const templateName = jitp.templateName ?? JITP.templateName;
  if (!TEMPLATE_NAME.test(templateName)) {
    throw new CertsToolError(
      `template name ${JSON.stringify(templateName)} is not a provisioning template name`,
      'use 1-36 characters of A-Z a-z 0-9 _ - (the JitpTemplateName stack output)',
    );
  }
  if (jitp.roleArn !== undefined && !ROLE_ARN.test(jitp.roleArn)) {
    throw new CertsToolError(
      `role ARN ${JSON.stringify(jitp.roleArn)} is not an IAM role ARN`,
      'pass the JitpRoleArn stack output, arn:aws:iam::<account>:role/<name>',
    );
  }
  return { templateName, ...(jitp.roleArn !== undefined && { roleArn: jitp.roleArn }) };
}

/**
 * Register the fleet CA in AWS IoT (once: with the registration-code proof, active), and with
 * `jitp` turn on auto-registration so that a certificate it signed provisions its tower at the
 * first connect. A CA already registered gets JITP switched on by UpdateCACertificate, so re-runs
 * are safe and an existing fleet can move to JITP.
 */
export async function registerCa(opts: RegisterCaOptions): Promise<RegisterCaResult> {
  const log = opts.log ?? (() => {});
  const registrationConfig = opts.jitp ? registrationConfigOf(opts.jitp) : undefined;
  const ca = readCaCertificate(opts.dir);
  const caCertificateId = certificateId(ca.pem);
  const calls: string[] = [];

  /** Sends (or in a dry run prints) one command; `absent` is the error that means "not there" (null). */
  async function send<T>(
    name: string,
    shown: object,
    run: () => Promise<T>,
    absent?: string,
  ): Promise<T | null | undefined> {
    calls.push(name);
    log(opts.dryRun ? `${name} ${JSON.stringify(shown)}` : name);
    if (opts.dryRun) return undefined;
    try {
      return await run();
    } catch (e) {
      if (absent && (e as { name?: string }).name === absent) return null;
      throw failure(name, e);
    }
  }

  const describe = { certificateId: caCertificateId };
  const known = await send(
    'DescribeCACertificate',
    describe,
    () => opts.iot.send(new DescribeCACertificateCommand(describe)),
    'ResourceNotFoundException',
  );

  if (known && !opts.dryRun) {
    if (!registrationConfig) {
      log(`  CA ${caCertificateId} is already registered`);
      return { caCertificateId, outcome: 'unchanged', calls };
    }
    const update = {
      certificateId: caCertificateId,
      newStatus: 'ACTIVE' as const,
      newAutoRegistrationStatus: 'ENABLE' as const,
      registrationConfig,
    };
    await send('UpdateCACertificate', update, () => opts.iot.send(new UpdateCACertificateCommand(update)));
    return { caCertificateId, outcome: 'updated', calls };
  }

  const code = await send('GetRegistrationCode', {}, () => opts.iot.send(new GetRegistrationCodeCommand({})));
  const verificationCertificate = code?.registrationCode
    ? await signVerificationCertificate(opts.dir, code.registrationCode)
    : '<CN=registration code, signed by the fleet CA>';
  const input = {
    caCertificate: ca.pem,
    verificationCertificate,
    setAsActive: true,
    allowAutoRegistration: registrationConfig !== undefined,
    ...(registrationConfig && { registrationConfig }),
  };
  await send('RegisterCACertificate', { ...input, caCertificate: `<PEM ${ca.caPath}>` }, () =>
    opts.iot.send(new RegisterCACertificateCommand(input)),
  );
  return { caCertificateId, outcome: opts.dryRun ? 'planned' : 'registered', calls };
}

function failure(name: string, e: unknown): CertsToolError {
  const err = e as { name?: string; message?: string };
  if (err.name === 'CredentialsProviderError') {
    return new CertsToolError(
      `${name}: no AWS credentials`,
      'configure them (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID)',
    );
  }
  return new CertsToolError(
    `${name} failed: ${err.name ?? 'Error'}: ${err.message ?? String(e)}`,
    err.name === 'ResourceNotFoundException' || err.name === 'InvalidRequestException'
      ? 'deploy the CDK app first (it creates the provisioning template), or pass --template-name'
      : 'fix the cause and re-run; register-ca is idempotent',
  );
}
