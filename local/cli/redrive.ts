/**
 * `towerwatch redrive`: puts what the pipeline gave up on back into the ingest stream: the IoT rule
 * error action's documents and the Lambda on-failure documents, from S3 in AWS or from the state
 * folder of `towerwatch local`. Idempotent: what it re-drove is marked and never sent again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { Command } from 'commander';
import {
  awsErrorLine,
  cliClientConfig,
  HELP_TO_STDOUT,
  parseFailureExitCode,
} from '../../cloud/cli/program.js';
import { systemClock } from '../../cloud/functions/shared/types.js';
import {
  KinesisStreamReader,
  KinesisStreamWriter,
  type RedriveDeps,
  type RedriveSummary,
  redrive,
  S3FailureStore,
} from '../../cloud/redrive/index.js';
import { startLocalAws } from '../aws/index.js';
import { DirectoryFailureStore } from '../redrive/directory-store.js';
import { STREAM_NAME } from '../stack/types.js';

class RedriveCommandError extends Error {
  override name = 'RedriveCommandError';
}

const USAGE =
  'towerwatch redrive (--state-dir <dir> | --bucket <name>... --stream <name>) [--region <r>] [--kinesis-endpoint <url>] [--dry-run]';

const EXAMPLES = `
Examples:
  towerwatch redrive --state-dir .towerwatch/state --dry-run
  towerwatch redrive --state-dir .towerwatch/state
  towerwatch redrive --bucket <rule-errors bucket> --bucket <stream-failures bucket> --stream <ingest stream>

Locally the embedded Kinesis is opened on <dir>/aws, so stop \`towerwatch local\` first (its
consumers read the re-driven records when it starts again). Exit code 0: everything pending was
re-driven or needed nothing; 1: something is left (each such document is named above); 2: error.`;

interface Options {
  stateDir?: string;
  bucket?: string[];
  stream?: string;
  region?: string;
  kinesisEndpoint?: string;
  dryRun?: boolean;
}

function program(onRun: (o: Options) => void): Command {
  return new Command('towerwatch redrive')
    .description(
      'Put the rule-error and stream-failure payloads back into the ingest stream (once: what was re-driven is marked)',
    )
    .option(
      '--state-dir <dir>',
      'the state folder of `towerwatch local` (its rule-errors/ and aws/failures/)',
    )
    .option(
      '--bucket <name>',
      'an S3 bucket of failure documents (rule errors, stream failures); repeat for each',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--stream <name>', `the ingest stream (AWS: required; locally: ${STREAM_NAME})`)
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option(
      '--kinesis-endpoint <url>',
      'Kinesis endpoint to put to instead of the default (a running local one)',
    )
    .option('--dry-run', 'print what would be sent; send and mark nothing')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput(HELP_TO_STDOUT)
    .action((o: Options) => onRun(o));
}

type Target = { deps: Omit<RedriveDeps, 'clock' | 'log'>; close(): Promise<void> };

async function localTarget(o: Options & { stateDir: string }): Promise<Target> {
  if (!existsSync(o.stateDir)) {
    throw new RedriveCommandError(
      `no state folder at ${o.stateDir} (pass the --state-dir \`towerwatch local\` used; default .towerwatch/state)`,
    );
  }
  const streamName = o.stream ?? STREAM_NAME;
  const store = new DirectoryFailureStore(o.stateDir);
  if (o.kinesisEndpoint) {
    const kinesis = new KinesisClient(cliClientConfig({ endpoint: o.kinesisEndpoint }, RedriveCommandError));
    return streamTarget(store, kinesis, streamName, async () => kinesis.destroy());
  }
  let aws: Awaited<ReturnType<typeof startLocalAws>>;
  try {
    aws = await startLocalAws({ stateDir: join(o.stateDir, 'aws') });
  } catch (e) {
    throw new RedriveCommandError(
      `cannot open the local stream in ${join(o.stateDir, 'aws')}: ${(e as Error).message.split('\n')[0]} (stop \`towerwatch local\` first, or pass --kinesis-endpoint)`,
    );
  }
  return streamTarget(store, aws.clients.kinesis, streamName, () => aws.stop());
}

function streamTarget(
  store: RedriveDeps['store'],
  kinesis: KinesisClient,
  streamName: string,
  close: () => Promise<void>,
): Target {
  return {
    deps: {
      store,
      writer: new KinesisStreamWriter(kinesis, streamName),
      reader: new KinesisStreamReader(kinesis, streamName),
    },
    close,
  };
}

function awsTarget(o: Options & { bucket: string[] }): Target {
  if (!o.stream) throw new RedriveCommandError('--bucket needs --stream <ingest stream name>');
  const config = cliClientConfig(o.region !== undefined ? { region: o.region } : {}, RedriveCommandError);
  const s3 = new S3Client(config);
  const kinesis = new KinesisClient(
    o.kinesisEndpoint
      ? cliClientConfig({ ...config, endpoint: o.kinesisEndpoint }, RedriveCommandError)
      : config,
  );
  return {
    ...streamTarget(new S3FailureStore(s3, o.bucket), kinesis, o.stream, async () => {}),
    close: async () => {
      s3.destroy();
      kinesis.destroy();
    },
  };
}

function target(o: Options): Target | Promise<Target> {
  if (o.stateDir && o.bucket) throw new RedriveCommandError('give either --state-dir or --bucket, not both');
  if (o.stateDir) return localTarget({ ...o, stateDir: o.stateDir });
  if (o.bucket) return awsTarget({ ...o, bucket: o.bucket });
  throw new RedriveCommandError(`nothing to redrive from: pass --state-dir or --bucket (usage: ${USAGE})`);
}

function summaryLine(s: RedriveSummary, dryRun: boolean): string {
  const sent = dryRun ? `${s.wouldSend} record(s) would be sent` : `${s.sent} record(s) sent`;
  return `${s.documents} document(s): ${sent}, ${s.skipped} needed nothing, ${s.unrecoverable} cannot be recovered, ${s.failed} refused by the stream`;
}

export async function main(argv: string[]): Promise<number> {
  let options: Options | undefined;
  try {
    await program((o) => {
      options = o;
    }).parseAsync(argv, { from: 'user' });
  } catch (e) {
    return parseFailureExitCode(e, 'towerwatch redrive', `usage: ${USAGE}`);
  }
  if (!options) return 0;
  const dryRun = options.dryRun === true;
  let t: Target | undefined;
  try {
    t = await target(options);
    const summary = await redrive(
      { ...t.deps, clock: systemClock, log: (line) => console.log(line) },
      { dryRun },
    );
    console.log(summaryLine(summary, dryRun));
    return summary.unrecoverable > 0 || summary.failed > 0 ? 1 : 0;
  } catch (e) {
    console.error(`towerwatch redrive: ${awsErrorLine(e)}`);
    return 2;
  } finally {
    await t?.close();
  }
}
