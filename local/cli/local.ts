import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CERTS_DIR } from '../../certs-tool/index.js';
import { parseFailureExitCode } from '../../cloud/cli/program.js';
import { type Stack, STACK_DEFAULTS, STREAM_NAME, startStack } from '../stack/index.js';
import { summaryLine } from '../stack/summary.js';
import {
  type KinesisSink,
  type LocalIot,
  localKinesisClient,
  SdkKinesisSink,
  startLocalIot,
} from '../iot/index.js';

/** `towerwatch local`: the system on one machine, or with `--only iot` just the local IoT Core. */
export const DEFAULT_STATE_DIR = STACK_DEFAULTS.stateDir;
export const DEFAULT_STREAM = STREAM_NAME;

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new InvalidArgumentError(`port must be 0-65535 (0 picks a free port), got ${value}`);
  }
  return port;
}

function parseCount(name: string, min: number, max: number) {
  return (value: string): number => {
    const v = Number(value);
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new InvalidArgumentError(`${name} must be a whole number ${min}-${max}, got ${value}`);
    }
    return v;
  };
}

function parseRate(value: string): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0 || v > 10) {
    throw new InvalidArgumentError(`rate is samples per second per sensor, 0 < rate <= 10, got ${value}`);
  }
  return v;
}

interface LocalOptions {
  only?: 'iot';
  port: number;
  dataPlanePort: number;
  statusPort: number;
  dir: string;
  stateDir?: string;
  kinesisEndpoint?: string;
  stream: string;
  towers: number;
  sensors: number;
  rate: number;
  duration?: number;
  chaos?: boolean;
  anomalies: boolean;
  persist: boolean;
  archiveInterval: number;
}

/** Without a Kinesis endpoint, rule output is printed: one line per record, so a human sees traffic. */
const printingSink: KinesisSink = {
  async putRecord(r) {
    console.log(`kinesis ${r.streamName} key=${r.partitionKey} ${r.data.byteLength} B`);
  },
};

function buildProgram(run: (o: LocalOptions) => Promise<void>): Command {
  return new Command('towerwatch local')
    .description('Run towerwatch on this machine with no AWS account')
    .addOption(new Option('--only <part>', 'start only one part of the stack').choices(['iot']))
    .addOption(
      new Option('--port <port>', 'MQTT (TLS) port of the local IoT Core').default(8883).argParser(parsePort),
    )
    .addOption(
      new Option('--data-plane-port <port>', 'IoT data-plane HTTP port').default(8443).argParser(parsePort),
    )
    .addOption(
      new Option('--dir <dir>', 'certs-tool directory (CA, server certificate, registry)').default(
        DEFAULT_CERTS_DIR,
      ),
    )
    .addOption(
      new Option(
        '--state-dir <dir>',
        `state: shadows, stream and table data, tower buffers (default ${DEFAULT_STATE_DIR}; --only iot: ${DEFAULT_STATE_DIR}/iot)`,
      ),
    )
    .addOption(
      new Option('--towers <n>', 'simulated towers').default(10).argParser(parseCount('towers', 1, 500)),
    )
    .addOption(
      new Option('--sensors <n>', 'sensors per tower').default(8).argParser(parseCount('sensors', 1, 100)),
    )
    .addOption(new Option('--rate <hz>', 'samples per second per sensor').default(1).argParser(parseRate))
    .addOption(
      new Option('--duration <seconds>', 'run this long, print the final summary and exit 0').argParser(
        parseCount('duration', 1, 7 * 24 * 3600),
      ),
    )
    .addOption(
      new Option('--status-port <port>', 'status page port on 127.0.0.1').default(8088).argParser(parsePort),
    )
    .addOption(new Option('--chaos', 'restart the broker and kill towers at random, to watch recovery'))
    .addOption(new Option('--no-anomalies', 'do not inject the scheduled demo anomalies'))
    .addOption(new Option('--no-persist', 'keep Kinesis and DynamoDB in memory (nothing resumes)'))
    .addOption(
      new Option(
        '--archive-interval <seconds>',
        'seconds rows wait before their Parquet file is written (Firehose buffer interval; AWS uses 900)',
      )
        .default(STACK_DEFAULTS.archiveIntervalSeconds)
        .argParser(parseCount('archive-interval', 1, 900)),
    )
    .addOption(
      new Option('--kinesis-endpoint <url>', 'Kinesis endpoint the rules write to (default: print records)'),
    )
    .addOption(new Option('--stream <name>', 'Kinesis stream of the rules').default(DEFAULT_STREAM))
    .exitOverride()
    .configureOutput({ writeOut: (t) => console.log(t.trimEnd()), outputError: () => {}, writeErr: () => {} })
    .action(async (o: LocalOptions) => run(o));
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (signal: string) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

async function runStack(o: LocalOptions): Promise<number> {
  console.log(`starting towerwatch: ${o.towers} towers x ${o.sensors} sensors at ${o.rate} Hz…`);
  const stack: Stack = await startStack({
    certsDir: o.dir,
    stateDir: o.stateDir ?? DEFAULT_STATE_DIR,
    towers: o.towers,
    sensors: o.sensors,
    rate: o.rate,
    port: o.port,
    dataPlanePort: o.dataPlanePort,
    statusPort: o.statusPort,
    chaos: o.chaos ?? false,
    anomalies: o.anomalies,
    persist: o.persist,
    archiveIntervalSeconds: o.archiveInterval,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(`local IoT Core  ${stack.iot.mqttUrl}  (data plane ${stack.iot.dataPlaneUrl})`);
  console.log(`status page     ${stack.status.url}`);
  if (stack.archive) {
    console.log(
      `archive         ${stack.archive.dir}  (Parquet every ${o.archiveInterval} s; npx towerwatch query --preset daily-max)`,
    );
  }
  console.log(
    `started in ${(stack.startupMs / 1000).toFixed(1)} s; Ctrl-C stops${o.duration ? `, or after ${o.duration} s` : ''}`,
  );
  const print = () =>
    console.log(summaryLine(stack.view.counters(), stack.fleet.ids.length, Date.now() - stack.startedAt));
  const timer = setInterval(print, process.stdout.isTTY ? 2000 : 5000);
  const ended = o.duration
    ? Promise.race([waitForSignal(), new Promise((r) => setTimeout(r, o.duration! * 1000))])
    : waitForSignal();
  await ended;
  clearInterval(timer);
  console.log('stopping…');
  await stack.stop();
  print();
  if (stack.archive) {
    const a = stack.archive.stats();
    console.log(
      `archive: ${a.rowsArchived.toLocaleString('en-US')} rows in ${a.filesWritten} Parquet files (${a.bytesWritten.toLocaleString('en-US')} bytes) under ${stack.archive.dir}`,
    );
  }
  console.log(`state kept in ${stack.options.stateDir}; run again to resume`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram(async (o) => {
    if (o.only !== 'iot') {
      code = await runStack(o);
      return;
    }
    const kinesis = o.kinesisEndpoint
      ? new SdkKinesisSink(localKinesisClient(o.kinesisEndpoint))
      : printingSink;
    const iot: LocalIot = await startLocalIot({
      certsDir: o.dir,
      stateDir: o.stateDir ?? `${DEFAULT_STATE_DIR}/iot`,
      mqttPort: o.port,
      dataPlanePort: o.dataPlanePort,
      kinesis,
      streamName: o.stream,
      errorSink: (p) =>
        console.error(`rule ${p.ruleName} failed: ${p.failures.map((f) => f.errorMessage).join('; ')}`),
    });
    iot.on('connect', (e) => console.log(`connected ${e.clientId}`));
    iot.on('disconnect', (e) => console.log(`disconnected ${e.clientId} (${e.reason})`));
    iot.on('denied', (e) =>
      console.log(`denied ${e.clientId ?? '-'} ${e.action} ${e.resource ?? ''} ${e.reason}`),
    );
    console.log(iot.mqttUrl);
    console.log(iot.dataPlaneUrl);
    await waitForSignal();
    await iot.stop();
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError)
      return parseFailureExitCode(e, 'towerwatch local', 'run towerwatch local --help');
    console.error(`towerwatch local: ${(e as Error).message.split('\n')[0]}`);
    return 2;
  }
}
