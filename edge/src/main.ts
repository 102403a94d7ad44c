import { Command, CommanderError } from 'commander';
import type { EdgeConfig } from '../../protocol/index.js';
import { loadEdgeConfig, stderrLogger } from './config/index.js';
import { ComponentLifecycle, type EdgeHandle, runsUnderGreengrass, startEdge } from './component/index.js';
import { IpcTransport } from './transport/ipc/index.js';

const USAGE_NOTE = `
Runs the towerwatch edge component: reads the tower's sensors, detects trouble, buffers on disk and
publishes to AWS IoT Core.

Under Greengrass (the nucleus sets AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT) the
configuration comes from the component configuration over IPC and delivery goes through the nucleus.
Without Greengrass, give --config: a JSON or YAML file with towerId, sensors, and transport
{kind: mqtt, endpoint: mqtts://<host>:8883, certPath, keyPath, caPath}.`;

interface EdgeCliOptions {
  config?: string;
  stateDir?: string;
}

/** `towerwatch edge` and the Greengrass bundle's entry. Resolves with the exit code once stopped by a signal. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('towerwatch edge')
    .description('the towerwatch edge component (Greengrass or direct MQTT)')
    .option('--config <file>', 'component configuration (JSON or YAML); not needed under Greengrass')
    .option('--state-dir <dir>', 'buffer and state directory (Greengrass: {work:path})')
    .addHelpText('after', USAGE_NOTE)
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (
      e instanceof CommanderError &&
      (e.code === 'commander.helpDisplayed' || e.code === 'commander.help')
    ) {
      return 0;
    }
    console.error(`towerwatch edge: ${(e as Error).message.replace(/^error: /, '')}`);
    return 2;
  }
  const opts = program.opts<EdgeCliOptions>();
  try {
    if (!opts.config && runsUnderGreengrass(process.env)) return await runUnderGreengrass(opts);
    if (!opts.config) {
      console.error('towerwatch edge: --config <file> is required outside Greengrass (see --help)');
      return 2;
    }
    const config = loadEdgeConfig({ file: opts.config, env: process.env });
    const handle = await startEdge({ config, ...(opts.stateDir && { stateDir: opts.stateDir }) });
    stderrLogger.info('edge component started', {
      towerId: config.towerId,
      transport: handle.transport.kind,
    });
    await untilSignal();
    await handle.stop();
    return 0;
  } catch (e) {
    console.error(`towerwatch edge: ${(e as Error).message}`);
    return 2;
  }
}

/**
 * Under the nucleus: the configuration is the component's (recipe defaults merged with the
 * deployment), read over a control IPC connection that also reports RUNNING/ERRORED and restarts the
 * component in-process when a deployment changes its configuration.
 */
async function runUnderGreengrass(opts: EdgeCliOptions): Promise<number> {
  const control = new IpcTransport();
  control.start();
  try {
    await waitConnected(control, 30_000);
  } catch (e) {
    // Nothing may keep retrying: the process must exit so that Greengrass sees the failure.
    await control.close();
    throw e;
  }
  const load = async (): Promise<EdgeConfig> =>
    loadEdgeConfig({ greengrass: withoutAccessControl(await control.getConfiguration()), env: process.env });
  // A refused token cannot heal in this process (the nucleus issues one per launch): exit 2 and let
  // Greengrass start the component again, rather than run on without its configuration channel.
  let fail!: (error: Error) => void;
  const failed = new Promise<Error>((resolve) => {
    fail = resolve;
  });
  control.onFailure(fail);
  const start = async (c: EdgeConfig) => {
    const started = await startEdge({ config: c, ...(opts.stateDir && { stateDir: opts.stateDir }) });
    if (started.transport instanceof IpcTransport) started.transport.onFailure(fail);
    return started;
  };
  let config: EdgeConfig;
  let handle: EdgeHandle;
  try {
    config = await load();
    handle = await start(config);
  } catch (e) {
    // A bad configuration or a buffer directory in use: report it, and close the control connection
    // so that the process exits instead of idling on an open socket.
    await control.reportState('ERRORED').catch(() => {});
    await control.close();
    throw e;
  }
  await control.reportState('RUNNING');
  const lifecycle = new ComponentLifecycle<EdgeConfig, EdgeHandle>({
    config,
    handle,
    start,
    stop: (h) => h.stop(),
    report: (state) => control.reportState(state),
    logger: stderrLogger,
    describe: (c) => ({ towerId: c.towerId }),
  });
  // One update at a time, in the order the nucleus announced them; each reads the configuration anew.
  let restarting = Promise.resolve();
  await control.onConfigurationUpdate(() => {
    restarting = restarting.then(async () => {
      let next: EdgeConfig;
      try {
        next = await load();
      } catch (e) {
        stderrLogger.warn('configuration update refused; keeping the running configuration', {
          error: (e as Error).message,
        });
        return;
      }
      // Neither the new nor the previous configuration starts: ERRORED is reported; exit 2 so that
      // Greengrass restarts the component, rather than sit idle while it shows RUNNING.
      if ((await lifecycle.apply(next)) === 'failed') fail(lifecycle.failure!);
    });
  });
  const outcome = await Promise.race([untilSignal().then(() => null), failed]);
  await restarting;
  await lifecycle.stop();
  await control.close();
  if (outcome) {
    console.error(`towerwatch edge: ${outcome.message}`);
    return 2;
  }
  return 0;
}

function waitConnected(t: IpcTransport, ms: number) {
  return new Promise<void>((resolve, reject) => {
    if (t.connected) return resolve();
    const timer = setTimeout(() => {
      off();
      const why = t.stats().lastError;
      reject(
        new Error(
          `no IPC connection to the Greengrass nucleus within ${ms / 1000} s${why ? `: ${why}` : ''}`,
        ),
      );
    }, ms);
    const off = t.onConnectionChange((up) => {
      if (!up) return;
      clearTimeout(timer);
      off();
      resolve();
    });
    t.onFailure((e) => {
      clearTimeout(timer);
      off();
      reject(e);
    });
  });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    process.on('SIGTERM', done);
    process.on('SIGINT', done);
  });
}

/** `accessControl` in the component configuration is for the nucleus (IPC authorization), not for the component. */
function withoutAccessControl(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const { accessControl: _nucleusOnly, ...rest } = value as Record<string, unknown>;
  return rest;
}
