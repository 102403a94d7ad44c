import type { Archiver } from '../archive/index.js';
import type { Consumers } from '../aws/consumers.js';
import type { RollupStore } from '../rollups/index.js';
import type { LocalAws } from '../aws/index.js';
import type { KinesisRecord, LocalIot } from '../iot/index.js';
import type { StatusServer } from '../status/server.js';
import type { FleetView } from './fleet-view.js';
import type { LocalFleet } from './fleet.js';

export interface StackOptions {
  /** certs-tool directory: the CA, the server and tower certificates, the registry (created once). */
  certsDir: string;
  /** State: shadows, stream and table data, tower buffers. A second start resumes from it. */
  stateDir: string;
  towers: number;
  sensors: number;
  /** Samples per second per sensor. */
  rate: number;
  /** MQTT port of the local IoT Core (0: any free port). */
  port: number;
  /** IoT data-plane HTTP port (0: any free port). */
  dataPlanePort: number;
  /** Status page port (0: any free port). */
  statusPort: number;
  /** Start the simulated towers in this process (a benchmark may run them elsewhere). Default true. */
  startFleet?: boolean;
  /** Inject anomalies on a schedule so alerts appear within the first minute. */
  anomalies: boolean;
  /** Restart the broker and kill towers at random. */
  chaos: boolean;
  /** Kinesis/DynamoDB on disk under `dir` (resumable) or in memory. */
  persist: boolean;
  /** Towers flush a telemetry batch at least this often (the component default is 10 s). */
  batchMaxAgeMs?: number;
  /** Towers wait this long for the cloud's stored acknowledgement before sending a batch again (edge default 60 s). */
  confirmTimeoutMs?: number;
  /**
   * Tests: sees every record the rules put into Kinesis; true drops it, after the broker's PUBACK
   * (a spooler or rule that loses what it acknowledged).
   */
  dropRecord?: (record: KinesisRecord) => boolean;
  /** Environment of the three consumers (names from `ENV` in cloud/data/tables.ts), e.g. a short offline grace. */
  consumerEnv?: Record<string, string>;
  /** Archive the stream as Parquet under `<stateDir>/archive` (Firehose locally), with rollups. Default true. */
  archive?: boolean;
  /** Seconds a partition's rows wait before its Parquet file is written (Firehose's interval hint; AWS: 900). */
  archiveIntervalSeconds?: number;
  log?: (line: string) => void;
}

export interface Stack {
  readonly options: StackOptions;
  readonly aws: LocalAws;
  readonly iot: LocalIot;
  readonly consumers: Consumers;
  readonly fleet: LocalFleet;
  readonly view: FleetView;
  readonly status: StatusServer;
  /** The local Firehose and the rollups it keeps current; absent with `archive: false`. */
  readonly archive?: Archiver;
  readonly rollups?: RollupStore;
  readonly streamName: string;
  readonly startedAt: number;
  /** Milliseconds from the start call until every tower was connected. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

export const STACK_DEFAULTS = {
  certsDir: '.towerwatch/certs',
  stateDir: '.towerwatch/state',
  towers: 10,
  sensors: 8,
  rate: 1,
  port: 0,
  dataPlanePort: 0,
  statusPort: 0,
  anomalies: true,
  chaos: false,
  persist: true,
  archive: true,
  /** Short, so `npm start` shows Parquet files within a minute; the CDK app buffers 900 s. */
  archiveIntervalSeconds: 60,
} as const satisfies Omit<StackOptions, 'log'>;

export const STREAM_NAME = 'towerwatch-ingest';
