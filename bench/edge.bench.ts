// `npm run bench -- edge`: 100 simulated sensors at 1 Hz for 60 s through sampling, detection and
// batching into an in-memory sink, measured in a child process that runs the bundled component code.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Alert, TelemetryBatch } from '../protocol/index.js';
import type { BenchResult } from './lib/types.js';

const SENSORS = 100;
const SECONDS = 60;
/** Greengrass Stream Manager alone needs at least this much memory (AWS docs). */
const STREAM_MANAGER_MIN_MB = 70;

export interface WorkloadResult {
  realtime: boolean;
  wallMs: number;
  cpuMs: number;
  /** CPU time over the 60 s of tower time the workload covered, as % of one core. */
  cpuPercent: number;
  rssMb: number;
  peakRssMb: number;
  heapUsedMb: number;
  readings: number;
  alerts: number;
  batches: number;
  billedUnits: number;
  latenciesMs: number[];
}

/**
 * The measured work. Runs in the child process. With virtual time the 60 s of sampling runs as fast
 * as the CPU allows; CPU % is then CPU time divided by the 60 s the tower would have taken.
 */
export async function runWorkload(options: { realtime: boolean; stateDir: string }): Promise<WorkloadResult> {
  const { createTowerMonitor, simulatedTowerConfig, Simulator, VirtualTime } = await import(
    '../edge/src/monitor/index.js'
  );
  const { EdgeConfigSchema, encodeMessage } = await import('../protocol/index.js');
  const { systemClock } = await import('../edge/src/ports.js');
  const { systemTimers } = await import('../edge/src/sampling/index.js');

  const start = Date.UTC(2026, 10, 23, 12);
  const vt = options.realtime ? undefined : new VirtualTime(start);
  const clock = vt ?? systemClock;
  const timers = vt ?? systemTimers;
  const config = EdgeConfigSchema.parse({
    towerId: 'tower-bench',
    sensors: simulatedTowerConfig('tower-bench', { sensors: SENSORS, seed: 42, intervalMs: 1000 }),
  });

  // Wrap the simulated sources to note the real time each read starts: alert latency is read → sink.
  const simulator = new Simulator(clock);
  // Alerts are raised synchronously from the sample of the read, so the latest read per sensor is enough.
  const readStarted = new Map<string, { time: number; at: number }>();
  const sources = config.sensors.map((def) => {
    const inner = simulator.source(def as Parameters<typeof simulator.source>[0]);
    return {
      id: inner.id,
      kind: inner.kind,
      read(signal?: AbortSignal) {
        readStarted.set(inner.id, { time: clock.now(), at: performance.now() });
        return inner.read(signal);
      },
    };
  });

  const batches: TelemetryBatch[] = [];
  const latenciesMs: number[] = [];
  let alerts = 0;
  const sink = {
    telemetry(batch: TelemetryBatch) {
      batches.push(batch);
      return Promise.resolve();
    },
    alert(alert: Alert) {
      const read = readStarted.get(alert.sensorId);
      // The sampler stamps the sample a moment before the wrapper sees the read start (real clock).
      if (read && Math.abs(read.time - alert.time) < 100) latenciesMs.push(performance.now() - read.at);
      alerts++;
      return Promise.resolve();
    },
  };
  let seq = 0;
  const monitor = createTowerMonitor({
    config,
    sink,
    seq: { next: () => ++seq },
    clock,
    timers,
    stateDir: options.stateDir,
    sources,
    logger: { info: () => undefined, warn: () => undefined },
  });

  // Trouble on a tenth of the sensors so detection does real work: spikes, ramps, failures.
  const anomalies: [number, string, Parameters<typeof simulator.inject>[1]][] = [];
  for (let i = 0; i < SENSORS; i += 10) {
    const id = config.sensors[i]!.id;
    anomalies.push([10_000 + i * 100, id, { kind: 'spike', durationMs: 15_000 }]);
  }
  for (let i = 6; i < SENSORS; i += 20)
    anomalies.push([20_000, config.sensors[i]!.id, { kind: 'ramp', durationMs: 30_000 }]);
  for (let i = 3; i < SENSORS; i += 25)
    anomalies.push([30_000, config.sensors[i]!.id, { kind: 'fail', durationMs: 6_000 }]);
  for (const [at, id, anomaly] of anomalies) timers.setTimeout(() => simulator.inject(id, anomaly), at);

  let peakRss = 0;
  const sampleRss = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  };
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await monitor.start();
  if (vt) {
    for (let s = 0; s < SECONDS; s++) {
      await vt.advance(1000);
      sampleRss();
    }
  } else {
    for (let s = 0; s < SECONDS; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      sampleRss();
    }
  }
  await monitor.stop();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - wall0;
  sampleRss();
  const memory = process.memoryUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const stats = monitor.stats();
  return {
    realtime: options.realtime,
    wallMs,
    cpuMs,
    cpuPercent: (cpuMs / (SECONDS * 1000)) * 100,
    rssMb: memory.rss / 2 ** 20,
    peakRssMb: peakRss / 2 ** 20,
    heapUsedMb: memory.heapUsed / 2 ** 20,
    readings: stats.readings,
    alerts,
    batches: batches.length,
    billedUnits: batches.reduce((n, b) => n + encodeMessage(b).billedUnits, 0),
    latenciesMs,
  };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Bundles the workload like the component bundle (our code, zod and yaml inlined) and runs it in a fresh node. */
async function measureInChild(realtime: boolean, nodeFlags: string[] = []): Promise<WorkloadResult> {
  const { build } = await import('esbuild');
  const root = join(import.meta.dirname, '..');
  // Inside node_modules so the external modbus-serial still resolves from the bundle.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'towerwatch-edge-bench-'));
  try {
    const outfile = join(dir, 'edge-bench.mjs');
    await build({
      stdin: {
        contents: `import { runWorkload } from './edge.bench.ts';
const result = await runWorkload({ realtime: ${realtime}, stateDir: ${JSON.stringify(join(dir, 'state'))} });
process.stdout.write(JSON.stringify(result));`,
        resolveDir: import.meta.dirname,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      external: ['modbus-serial', 'serialport', 'esbuild'],
      // CommonJS dependencies inside an ESM bundle still call require().
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'error',
    });
    const child = spawnSync(process.execPath, [...nodeFlags, outfile], {
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    if (child.status !== 0)
      throw new Error(`edge bench child failed: ${child.stderr.split('\n').slice(0, 5).join(' ')}`);
    return JSON.parse(child.stdout) as WorkloadResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The node flags the Greengrass recipe runs the component with, so the figure is the deployed one. */
function recipeNodeFlags(): string[] {
  try {
    const recipe = readFileSync(join(import.meta.dirname, '..', 'edge', 'recipe.yaml'), 'utf8');
    const run = /^\s*Run:\s*\n\s*Script:\s*node\s+((?:--\S+\s+)*)/m.exec(recipe);
    return run?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
  } catch {
    return [];
  }
}

function bareNodeRssMb(): number {
  const child = spawnSync(
    process.execPath,
    ['-e', 'process.stdout.write(String(process.memoryUsage.rss()))'],
    {
      encoding: 'utf8',
    },
  );
  return Number(child.stdout) / 2 ** 20;
}

/**
 * The same measurement while another process keeps one core busy: a tower's CPU is shared (the
 * Greengrass nucleus, other components), and an alert must not wait for the rest of its loop.
 */
async function measureBesideBusyCore(realtime: boolean, flags: string[]): Promise<WorkloadResult> {
  const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    return await measureInChild(realtime, flags);
  } finally {
    burner.kill('SIGKILL');
  }
}

export async function run(): Promise<BenchResult> {
  const realtime = process.env.EDGE_BENCH_FAST !== '1';
  const flags = recipeNodeFlags();
  const r = await measureInChild(realtime, flags);
  const busy = await measureBesideBusyCore(realtime, flags);
  const busySorted = [...busy.latenciesMs].sort((a, b) => a - b);
  // Like-for-like on virtual time (under a second each): the recipe's flags against --lite-mode.
  const fast = realtime ? await measureInChild(false, flags) : r;
  const lite = flags.includes('--lite-mode')
    ? undefined
    : await measureInChild(false, [...flags, '--lite-mode']);
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const bare = bareNodeRssMb();
  return {
    name: 'edge',
    metrics: {
      rssMb: { value: r.peakRssMb, unit: 'MB', target: 64, better: 'lower' },
      cpuPercent: { value: r.cpuPercent, unit: '% of a core', target: 2, better: 'lower' },
      alertLatencyP50Ms: { value: percentile(busySorted, 50), unit: 'ms', target: 50, better: 'lower' },
      alertLatencyP99Ms: { value: percentile(busySorted, 99), unit: 'ms', target: 50, better: 'lower' },
      alertLatencyIdleP50Ms: { value: percentile(sorted, 50), unit: 'ms', better: 'lower' },
      alertLatencyIdleP99Ms: { value: percentile(sorted, 99), unit: 'ms', better: 'lower' },
      readingsPerBilledUnit: {
        value: r.readings / r.billedUnits,
        unit: 'readings/5KB',
        target: 100,
        better: 'higher',
      },
      vsStreamManagerMemory: {
        value: STREAM_MANAGER_MIN_MB / r.peakRssMb,
        unit: 'x less memory',
        better: 'higher',
      },
    },
    notes: [
      `${SENSORS} simulated sensors at 1 Hz for ${SECONDS} s of tower time, ${
        realtime
          ? 'in real time (EDGE_BENCH_FAST=1: on virtual time, in under a second)'
          : `on virtual time, ran in ${Math.round(r.wallMs)} ms (RSS runs higher than in real time: the GC lags the compressed minute)`
      }`,
      `child process running the esbuild bundle with the recipe's node flags [${flags.join(' ')}]: peak RSS ${r.peakRssMb.toFixed(1)} MB (bare node ${bare.toFixed(1)} MB), heap ${r.heapUsedMb.toFixed(1)} MB`,
      `on virtual time: peak RSS ${fast.peakRssMb.toFixed(1)} MB with the recipe's flags${
        lite
          ? `, ${lite.peakRssMb.toFixed(1)} MB with --lite-mode (no optimising compiler; this workload hardly needs one)`
          : ''
      }`,
      `CPU ${r.cpuMs.toFixed(0)} ms (process.cpuUsage over start..stop) / ${SECONDS} s of tower time`,
      `${r.readings} readings → ${r.batches} batches, ${r.billedUnits} billed 5 KB units; ${r.alerts} alerts, latency read start → sink.alert over ${sorted.length} alerts`,
      `alertLatency = the same workload again while another process burns one core (${busySorted.length} alerts, ${busy.readings} readings); alertLatencyIdle = the run above, without the burner (other work on the machine is not controlled)`,
    ],
  };
}
