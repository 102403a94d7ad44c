import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  initCa,
  issueDeviceCertificate,
  issueDeviceCertificates,
  numberedTowerIds,
  verifyCertificate,
} from '../certs-tool/index.js';
import type { BenchResult } from './lib/types.js';

const TOWERS = 1000;

/** One fresh certs directory with its CA, so each variant writes into an empty registry. */
async function withCaDir<T>(root: string, name: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(root, name);
  await initCa(dir);
  return fn(dir);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function run(): Promise<BenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'towerwatch-bench-certs-'));
  const ids = numberedTowerIds({ count: TOWERS, prefix: 'tw-' });
  const lanes = availableParallelism();
  try {
    // Warm the JIT and the crypto providers first, so neither variant pays for them.
    await withCaDir(root, 'warm', (d) => issueDeviceCertificates(d, ids.slice(0, 100)));
    // Best of two each, run par-seq-seq-par, so a load spike from other processes skews neither side.
    const times = { parallel: [] as number[], sequential: [] as number[] };
    for (const [round, variant] of (
      ['parallel', 'sequential', 'sequential', 'parallel'] as const
    ).entries()) {
      times[variant].push(
        await withCaDir(root, `${variant}-${round}`, (d) =>
          timed(async () => {
            const r = await issueDeviceCertificates(
              d,
              ids,
              variant === 'sequential' ? { concurrency: 1 } : {},
            );
            if (r.issued.length !== TOWERS) throw new Error(`issued ${r.issued.length} of ${TOWERS}`);
            const last = await verifyCertificate(d, readFileSync(r.issued.at(-1)!.certPath));
            if (!last.ok) throw new Error(`${r.issued.at(-1)!.towerId}: ${last.problems[0]}`);
          }),
        ),
      );
    }
    const parallel = Math.min(...times.parallel);
    const sequential = Math.min(...times.sequential);
    // What a script calling `device issue <towerId>` per tower costs: one registry rewrite per tower.
    const oneByOne = await withCaDir(root, 'one-by-one', (d) =>
      timed(async () => {
        for (const id of ids) await issueDeviceCertificate(d, id);
      }),
    );
    return {
      name: 'certs',
      metrics: {
        towersPerSec: { value: TOWERS / parallel, unit: 'towers/s', better: 'higher' },
        totalSeconds: { value: parallel, unit: `s / ${TOWERS} towers`, target: 60, better: 'lower' },
        sequentialSeconds: { value: sequential, unit: `s / ${TOWERS} towers`, better: 'lower' },
        parallelVsSequential: { value: sequential / parallel, unit: 'x faster', better: 'higher' },
        oneByOneSeconds: { value: oneByOne, unit: `s / ${TOWERS} towers`, better: 'lower' },
      },
      notes: [
        `issueDeviceCertificates for ${TOWERS} towers into an empty certs dir: ${lanes} towers signed at once (os.availableParallelism()) vs 1 (sequential), same batched registry writes; best of 2 runs each`,
        `runs (s): parallel ${times.parallel.map((t) => t.toFixed(1)).join(', ')}; sequential ${times.sequential.map((t) => t.toFixed(1)).join(', ')}`,
        `one-by-one = ${TOWERS} issueDeviceCertificate calls (what a shell loop over device issue does, without its process starts)`,
      ],
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
