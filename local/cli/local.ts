import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CERTS_DIR } from '../../certs-tool/index.js';
import {
  type KinesisSink,
  type LocalIot,
  localKinesisClient,
  SdkKinesisSink,
  startLocalIot,
} from '../iot/index.js';

/** `towerwatch local`: the system on one machine. For now only `--only iot` (the local IoT Core). */
export const DEFAULT_STATE_DIR = '.towerwatch/state';
export const DEFAULT_STREAM = 'towerwatch-ingest';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new InvalidArgumentError(`port must be 0-65535 (0 picks a free port), got ${value}`);
  }
  return port;
}

interface LocalOptions {
  only?: 'iot';
  port: number;
  dataPlanePort: number;
  dir: string;
  stateDir: string;
  kinesisEndpoint?: string;
  stream: string;
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
      new Option('--state-dir <dir>', 'where device shadows persist').default(`${DEFAULT_STATE_DIR}/iot`),
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

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram(async (o) => {
    if (o.only !== 'iot') {
      console.error('towerwatch local: the full stack is not there yet; run it with --only iot');
      code = 2;
      return;
    }
    const kinesis = o.kinesisEndpoint
      ? new SdkKinesisSink(localKinesisClient(o.kinesisEndpoint))
      : printingSink;
    const iot: LocalIot = await startLocalIot({
      certsDir: o.dir,
      stateDir: o.stateDir,
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
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed') return 0;
      console.error(`towerwatch local: ${e.message.replace(/^error: /, '')} (run towerwatch local --help)`);
      return 2;
    }
    console.error(`towerwatch local: ${(e as Error).message.split('\n')[0]}`);
    return 2;
  }
}
