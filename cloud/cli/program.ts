import { CommanderError, type OutputConfiguration } from 'commander';

/** Help on stdout; commander's own error output is dropped because `main` prints the failure as one line. */
export const HELP_TO_STDOUT: OutputConfiguration = {
  writeOut: (s) => process.stdout.write(s),
  writeErr: () => {},
};

/**
 * The exit code for what a commander parse threw: 0 after help, else 2 with one line on stderr,
 * `<name>: <what commander said> (<hint>)`. Anything but a CommanderError is rethrown.
 */
export function parseFailureExitCode(e: unknown, name: string, hint: string): number {
  if (!(e instanceof CommanderError)) throw e;
  if (e.exitCode === 0) return 0;
  console.error(`${name}: ${e.message.replace(/^error: /, '')} (${hint})`);
  return 2;
}

/** One line for the AWS SDK failures every cloud command can meet, else the first line of the message. */
export function awsErrorLine(e: unknown): string {
  const err = e as Error & { code?: string };
  if (err.code === 'ECONNREFUSED')
    return `${err.message}: nothing listens at --endpoint (is \`towerwatch local\` running?)`;
  if (err.name === 'CredentialsProviderError')
    return 'no AWS credentials: configure a profile or set AWS_PROFILE';
  return (err.message ?? String(e)).split('\n')[0]!;
}

const LOOPBACK = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/;

/**
 * SDK client settings from a command's `--endpoint` and `--region`. A loopback endpoint (what
 * `towerwatch local` prints) checks no signature, but the SDK insists on a region and credentials.
 */
export function cliClientConfig(
  opts: { endpoint?: string; region?: string },
  CommandError: new (message: string) => Error,
) {
  const local = opts.endpoint !== undefined && LOOPBACK.test(opts.endpoint);
  const region =
    opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (local ? 'local' : undefined);
  if (!region) throw new CommandError('no AWS region: pass --region or set AWS_REGION');
  return {
    region,
    maxAttempts: 2,
    ...(opts.endpoint && { endpoint: opts.endpoint }),
    ...(local &&
      !process.env.AWS_ACCESS_KEY_ID && { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  };
}
