/**
 * `towerwatch <command>`: each entry loads its module lazily so `towerwatch --help` stays fast
 * and a command's dependencies load only when it runs. A module exports `main(argv): Promise<number>`.
 */
export interface CommandModule {
  main(argv: string[]): Promise<number>;
}

export interface CommandEntry {
  summary: string;
  load(): Promise<CommandModule>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  readings: {
    summary:
      "print a tower's stored readings in a time range: <towerId> --from <time> --to <time> [--sensor <id>] [--resolution 1m|1h]",
    load: () => import('./readings.js'),
  },
  local: {
    summary:
      'run the whole system on this machine (towers, IoT Core, Kinesis, Lambdas, DynamoDB); --only iot for the broker',
    load: () => import('./local.js'),
  },
  config: {
    summary: "change a tower's thresholds through its config shadow (IoT data plane)",
    load: () => import('../../cloud/cli/config.js'),
  },
  edge: {
    summary: 'run the edge component outside Greengrass (direct MQTT): --config <file>',
    load: () => import('../../edge/src/main.js'),
  },
  redrive: {
    summary:
      'put rule-error and stream-failure payloads back into the stream, once: --state-dir <dir> | --bucket <name> --stream <name> [--dry-run]',
    load: () => import('./redrive.js'),
  },
  query: {
    summary:
      'SQL over the archive (DuckDB on the local folder, --athena in AWS): "<SQL>" | --preset <name> [--from --to --tower] [--format table|csv|json]',
    load: () => import('./query.js'),
  },
  cost: {
    summary: 'monthly AWS cost of a fleet, side by side with one message per reading',
    load: () => import('../../cloud/cost/index.js'),
  },
};
