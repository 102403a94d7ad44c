import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { initCa } from './ca.js';
import { CertsToolError } from './errors.js';
import { readTextFile } from './files.js';
import { writeGreengrassConfig } from './greengrass.js';
import { inspectCertificate } from './inspect.js';
import { createDeviceCsr, signCsr } from './csr.js';
import { issueDeviceCertificate } from './device.js';
import { issueDeviceCertificates } from './batch.js';
import { DEFAULT_PREFIX, type IssueArgs, issueTarget, listSome, wholeNumber } from './issue-args.js';
import { createProgress } from './progress.js';
import { issueServerCertificate } from './server.js';
import { certsLayout, DEFAULT_CERTS_DIR } from './layout.js';
import { revokeTower, rotateTower } from './lifecycle.js';
import { FLEET, JITP } from '../protocol/index.js';
import { needsRenewal, parseDuration } from './renewal.js';
import { DaysSchema } from './types.js';
import { verifyCertificate } from './verify.js';

/** Exit codes other tools script against (needs-renewal follows `step certificate needs-renewal`). */
export const EXIT = { ok: 0, noRenewalNeeded: 1, badInput: 2 } as const;

function parseDays(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('days must be a whole number');
  const parsed = DaysSchema.safeParse(Number(value));
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]!.message);
  return parsed.data;
}

function parseWithin(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function readInput(path: string, what: string): string {
  return readTextFile(path, what, `pass the path of a PEM ${what}`);
}

const dirOption = () => new Option('--dir <dir>', 'certs-tool state directory').default(DEFAULT_CERTS_DIR);
const daysOption = () => new Option('--days <n>', 'validity in days').argParser(parseDays);

function print(lines: Record<string, string>): void {
  const width = Math.max(...Object.keys(lines).map((k) => k.length));
  for (const [k, v] of Object.entries(lines)) console.log(`${k.padEnd(width)}  ${v}`);
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('certs-tool')
    .description('Provision tower identities: fleet CA, device and server certificates, AWS IoT registration')
    .exitOverride()
    .configureOutput({
      // Help goes through console so it can be captured; errors are printed once, as one line, by main().
      writeOut: (text) => console.log(text.trimEnd()),
      outputError: () => {},
      writeErr: () => {},
    })
    .showSuggestionAfterError(false);

  const ca = program.command('ca').description('the fleet certificate authority');
  ca.command('init')
    .description('create the fleet CA (EC P-256, 10 years); refuses to overwrite one')
    .addOption(dirOption())
    .addOption(daysOption())
    .action(async (o: { dir: string; days?: number }) => {
      const info = await initCa(o.dir, o.days ? { days: o.days } : {});
      print({ ca: info.caPath, key: info.keyPath, id: info.certificateId });
    });

  const device = program.command('device').description('tower (device) certificates');
  device
    .command('issue [towerId]')
    .description(
      'EC P-256 key + clientAuth certificate signed by the fleet CA, in <dir>/devices/<towerId>/; with --count or --from-file, for many towers (those that already have one are skipped)',
    )
    .option(
      '--count <n>',
      'issue for N numbered towers: <prefix><number>, zero-padded',
      wholeNumber('--count'),
    )
    .option('--prefix <prefix>', `tower id prefix for --count (default ${DEFAULT_PREFIX})`)
    .option('--start <k>', 'first number for --count (default 1)', wholeNumber('--start'))
    .option('--from-file <file>', 'issue for the tower ids in the file, one a line (# comments)')
    .option('--quiet', 'no progress on stderr')
    .addOption(dirOption())
    .addOption(daysOption())
    .action(
      async (towerId: string | undefined, o: IssueArgs & { dir: string; days?: number; quiet?: boolean }) => {
        const days = o.days ? { days: o.days } : {};
        const target = issueTarget({ ...o, ...(towerId !== undefined ? { towerId } : {}) }, (path) =>
          readTextFile(path, 'tower list', 'pass a file with one tower id per line'),
        );
        if (target.kind === 'one') {
          const c = await issueDeviceCertificate(o.dir, target.towerId, days);
          print({ cert: c.certPath, key: c.keyPath, ca: c.caPath, id: c.certificateId });
          return;
        }
        const r = await issueDeviceCertificates(o.dir, target.towerIds, {
          ...days,
          progress: (total) => createProgress(total, { quiet: o.quiet === true }),
        });
        print({
          issued: String(r.issued.length),
          skipped: r.skipped.length ? `${r.skipped.length} (already issued: ${listSome(r.skipped)})` : '0',
          ...(r.recovered.length ? { recorded: `${r.recovered.length} left by an interrupted run` } : {}),
          devices: certsLayout(o.dir).devicesDir,
        });
      },
    );
  device
    .command('csr <towerId>')
    .description('create a key (kept here, mode 0600) and a CSR to sign elsewhere with certs-tool sign')
    .requiredOption('--out <file>', 'where to write the CSR')
    .option('--key-out <file>', 'where to write the key (default <dir>/devices/<towerId>/key.pem)')
    .addOption(dirOption())
    .action(async (towerId: string, o: { dir: string; out: string; keyOut?: string }) => {
      const r = await createDeviceCsr(o.dir, towerId, {
        out: o.out,
        ...(o.keyOut ? { keyOut: o.keyOut } : {}),
      });
      print({ csr: r.csrPath, key: r.keyPath });
    });

  program
    .command('sign <csr>')
    .description("verify a tower's CSR (signature, tower id) and sign it with the fleet CA")
    .option('--tower <towerId>', 'refuse the CSR unless its CN is this tower id')
    .option('--out <file>', 'write the certificate here instead of <dir>/devices/<towerId>/cert.pem')
    .addOption(dirOption())
    .addOption(daysOption())
    .action(async (csrPath: string, o: { dir: string; days?: number; tower?: string; out?: string }) => {
      const c = await signCsr(o.dir, readInput(csrPath, 'certificate request'), {
        ...(o.days ? { days: o.days } : {}),
        ...(o.tower ? { towerId: o.tower } : {}),
        ...(o.out ? { outPath: o.out } : {}),
      });
      print({ tower: c.towerId, cert: c.certPath, ca: c.caPath, id: c.certificateId });
    });

  const server = program.command('server').description('TLS server certificates (the local broker)');
  server
    .command('issue <hostname...>')
    .description('serverAuth certificate for the hostnames (plus localhost and 127.0.0.1) in <dir>/server/')
    .addOption(dirOption())
    .addOption(daysOption())
    .action(async (hostnames: string[], o: { dir: string; days?: number }) => {
      const c = await issueServerCertificate(o.dir, hostnames, o.days ? { days: o.days } : {});
      print({ cert: c.certPath, key: c.keyPath, ca: c.caPath, id: c.certificateId });
    });

  program
    .command('inspect <cert>')
    .description('subject, issuer, serial, validity, key, SANs, EKU and the AWS IoT certificate id')
    .option('--json', 'print JSON')
    .action((certPath: string, o: { json?: boolean }) => {
      const info = inspectCertificate(readInput(certPath, 'certificate'));
      if (o.json) {
        console.log(JSON.stringify(info, null, 2));
        return;
      }
      print({
        subject: info.subject,
        issuer: info.issuer,
        serial: info.serial,
        notBefore: info.notBefore,
        notAfter: info.notAfter,
        key: info.keyAlgorithm,
        san: info.subjectAltNames.join(', ') || '-',
        eku: info.extendedKeyUsage.join(', ') || '-',
        ca: String(info.isCa),
        id: info.certificateId,
      });
    });

  program
    .command('verify <cert>')
    .description(
      'chain to the fleet CA, validity, clientAuth EKU and registry status; exit 0 only when all hold',
    )
    .option('--server', 'expect a server certificate (serverAuth) instead of a tower one')
    .addOption(dirOption())
    .action(async (certPath: string, o: { dir: string; server?: boolean }) => {
      const r = await verifyCertificate(o.dir, readInput(certPath, 'certificate'), {
        purpose: o.server ? 'server' : 'client',
      });
      for (const c of r.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(8)}  ${c.detail}`);
      if (!r.ok) throw new CertsToolError(r.problems[0]!);
    });

  program
    .command('needs-renewal <cert>')
    .description('exit 0 when the certificate expires within the window (renew it), 1 when it does not')
    .addOption(new Option('--within <duration>', 'renewal window: 30d, 12h, 90m, 45s').default('30d'))
    .action((certPath: string, o: { within: string }) => {
      const pem = readInput(certPath, 'certificate');
      const renew = needsRenewal(pem, parseWithin(o.within));
      const notAfter = inspectCertificate(pem).notAfter;
      console.log(renew ? `renew: expires ${notAfter} (within ${o.within})` : `ok: expires ${notAfter}`);
      setExit(renew ? EXIT.ok : EXIT.noRenewalNeeded);
    });

  program
    .command('revoke <towerId>')
    .description("mark the tower's certificates REVOKED in the registry (the local broker refuses them)")
    .addOption(dirOption())
    .action((towerId: string, o: { dir: string }) => {
      for (const e of revokeTower(o.dir, towerId)) console.log(`revoked  ${e.certificateId}  ${e.certPath}`);
    });

  program
    .command('rotate <towerId>')
    .description('issue a successor; the old certificate stays ACTIVE until the new one is used or --confirm')
    .option('--confirm', 'retire the old certificate now (finishes a pending rotation without issuing again)')
    .addOption(dirOption())
    .addOption(daysOption())
    .action(async (towerId: string, o: { dir: string; days?: number; confirm?: boolean }) => {
      const r = await rotateTower(o.dir, towerId, {
        ...(o.days ? { days: o.days } : {}),
        confirm: o.confirm === true,
      });
      if (r.issued) print({ cert: r.issued.certPath, key: r.issued.keyPath, id: r.issued.certificateId });
      if (r.deactivated.length > 0) for (const id of r.deactivated) console.log(`inactive  ${id}`);
      else
        console.log(
          `previous certificate ${r.replaces} stays ACTIVE until the new one is used (or: certs-tool rotate ${towerId} --confirm)`,
        );
    });

  program
    .command('greengrass-config <towerId>')
    .description(
      'write a Greengrass nucleus config.yaml plus the certificate, key and Amazon Root CA 1 it names',
    )
    .requiredOption('--region <region>', 'AWS region, e.g. eu-west-1')
    .requiredOption('--data-endpoint <host>', 'aws iot describe-endpoint --endpoint-type iot:Data-ATS')
    .requiredOption(
      '--cred-endpoint <host>',
      'aws iot describe-endpoint --endpoint-type iot:CredentialProvider',
    )
    .addOption(
      new Option('--role-alias <alias>', 'IoT role alias of the token exchange role').default(
        FLEET.roleAliasName,
      ),
    )
    .addOption(new Option('--rootpath <path>', 'Greengrass root on the tower').default('/greengrass/v2'))
    .addOption(new Option('--nucleus-version <v>', 'aws.greengrass.Nucleus version').default('2.16.1'))
    .option('--out <dir>', 'bundle directory (default <dir>/greengrass/<towerId>)')
    .addOption(dirOption())
    .action(
      (
        towerId: string,
        o: {
          dir: string;
          region: string;
          dataEndpoint: string;
          credEndpoint: string;
          roleAlias: string;
          rootpath: string;
          nucleusVersion: string;
          out?: string;
        },
      ) => {
        const b = writeGreengrassConfig(o.dir, towerId, {
          region: o.region,
          dataEndpoint: o.dataEndpoint,
          credEndpoint: o.credEndpoint,
          roleAlias: o.roleAlias,
          rootPath: o.rootpath,
          nucleusVersion: o.nucleusVersion,
          ...(o.out ? { outDir: o.out } : {}),
        });
        print({
          config: b.configPath,
          cert: b.files.certificate,
          key: b.files.privateKey,
          rootCa: b.files.rootCa,
        });
        console.log(
          `copy ${b.outDir}/* to ${o.rootpath} on the tower, then run the installer with --init-config ${o.rootpath}/config.yaml`,
        );
      },
    );

  program
    .command('register <towerId>')
    .description(
      'AWS IoT: register the CA once, the certificate, the thing, principal, policy and thing group',
    )
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--dry-run', 'print the calls without sending them')
    .option('--without-ca', 'register the certificate without its CA (RegisterCertificateWithoutCA)')
    .option('--greengrass', 'the tower is a Greengrass core device: also attach the Greengrass core policy')
    .addOption(dirOption())
    .action(
      async (
        towerId: string,
        o: { dir: string; region?: string; dryRun?: boolean; withoutCa?: boolean; greengrass?: boolean },
      ) => {
        const region = o.region ?? process.env['AWS_REGION'];
        if (!region && !o.dryRun)
          throw new CertsToolError('no AWS region', 'pass --region or set AWS_REGION');
        // The AWS SDK loads only for this command, so every other command starts fast.
        const [{ IoTClient }, { registerTower }] = await Promise.all([
          import('@aws-sdk/client-iot'),
          import('./aws/register.js'),
        ]);
        const iot = new IoTClient(region ? { region } : {});
        const r = await registerTower({
          iot,
          dir: o.dir,
          towerId,
          dryRun: o.dryRun === true,
          withoutCa: o.withoutCa === true,
          greengrass: o.greengrass === true,
          log: (line) => console.log(line),
        });
        iot.destroy();
        if (!o.dryRun)
          print({ thing: r.thingName, certificate: r.certificateArn ?? '-', group: r.thingGroup });
      },
    );

  program
    .command('register-ca')
    .description(
      'AWS IoT: register the fleet CA (once, active); --jitp turns on just-in-time provisioning of its towers',
    )
    .option('--jitp', 'auto-register certificates the CA signs and provision them with the JITP template')
    .option(
      '--template-name <name>',
      `provisioning template (JitpTemplateName output; default ${JITP.templateName})`,
    )
    .option('--role-arn <arn>', 'role IoT assumes to provision (JitpRoleArn output)')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--endpoint <url>', 'IoT control-plane endpoint, e.g. the local IoT Core http://127.0.0.1:8443')
    .option('--dry-run', 'print the calls without sending them')
    .addOption(dirOption())
    .action(
      async (o: {
        dir: string;
        jitp?: boolean;
        templateName?: string;
        roleArn?: string;
        region?: string;
        endpoint?: string;
        dryRun?: boolean;
      }) => {
        if (!o.jitp && (o.templateName || o.roleArn))
          throw new CertsToolError('--template-name and --role-arn configure JITP', 'add --jitp');
        const [{ IoTClient }, { registerCa }] = await Promise.all([
          import('@aws-sdk/client-iot'),
          import('./aws/register-ca.js'),
        ]);
        const iot = new IoTClient(iotClientConfig(o));
        try {
          const r = await registerCa({
            iot,
            dir: o.dir,
            ...(o.jitp && {
              jitp: {
                ...(o.templateName !== undefined && { templateName: o.templateName }),
                ...(o.roleArn !== undefined && { roleArn: o.roleArn }),
              },
            }),
            dryRun: o.dryRun === true,
            log: (line) => console.log(line),
          });
          if (!o.dryRun) print({ ca: r.caCertificateId, outcome: r.outcome, jitp: o.jitp ? 'on' : 'off' });
        } finally {
          iot.destroy();
        }
      },
    );

  return program;
}

/**
 * The IoT client for --region / --endpoint. An endpoint on this machine is the local IoT Core, which
 * checks no signature: it gets placeholder credentials so no AWS profile is needed to reach it.
 */
function iotClientConfig(o: { region?: string; endpoint?: string; dryRun?: boolean }) {
  let local = false;
  if (o.endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(o.endpoint);
    } catch {
      throw new CertsToolError(`--endpoint ${o.endpoint} is not a URL`, 'pass e.g. http://127.0.0.1:8443');
    }
    local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  }
  const region = o.region ?? process.env['AWS_REGION'] ?? (local ? 'local' : undefined);
  if (!region && !o.dryRun) throw new CertsToolError('no AWS region', 'pass --region or set AWS_REGION');
  return {
    ...(region && { region }),
    ...(o.endpoint !== undefined && { endpoint: o.endpoint }),
    ...(local && { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  };
}

/** Entry of the `certs-tool` bin. Every failure is one line on stderr and exit code 2. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      if (e.code === 'commander.help') {
        console.error('certs-tool: missing command (run certs-tool --help)');
        return EXIT.badInput;
      }
      console.error(`certs-tool: ${e.message.replace(/^error: /, '')} (run certs-tool --help)`);
      return EXIT.badInput;
    }
    console.error(`certs-tool: ${(e as Error).message.split('\n')[0]}`);
    return EXIT.badInput;
  }
}
