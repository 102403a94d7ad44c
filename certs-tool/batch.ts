import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  type ChunkResult,
  commitChunk,
  discard,
  type MadeIdentity,
  recordUnrecorded,
  type StagedTower,
  stageTower,
  sweepStaleStaging,
} from './batch-commit.js';
import { planBatch } from './batch-plan.js';
import { type LoadedCa, loadCa } from './ca.js';
import { type CertsLayout, certsLayout } from './layout.js';
import { signLeaf, validDays } from './leaf.js';
import { certificateIdOf, exportPrivateKeyPem, generateKeyPair, x509 } from './pki.js';
import { mapConcurrent } from './pool.js';
import type { Progress } from './progress.js';
import { Registry } from './registry.js';
import { DEVICE_DEFAULT_DAYS, type DeviceCertificate, type IssueOptions } from './types.js';

export interface BatchOptions extends IssueOptions {
  /**
   * Towers signed at once. Signing is mostly @peculiar/x509's ASN.1 work on the main thread, while key
   * generation, export and the ECDSA signature run on libuv's thread pool; overlapping a few towers
   * keeps both busy (measured 1.8x on 2 cores). Worker threads would also need tsx in each worker
   * for a gain that small. Default: os.availableParallelism(); 1 is sequential.
   */
  concurrency?: number;
  /** towers per registry save; a stopped run leaves at most this many to record on the next run */
  chunkSize?: number;
  /** called once the batch knows how many towers it will issue */
  progress?: (total: number) => Progress;
}

export interface BatchResult {
  issued: (DeviceCertificate & { towerId: string })[];
  /** already had a current certificate (this run or another one issued it): left untouched */
  skipped: string[];
  /** written by an interrupted run but not recorded: checked and recorded, not re-issued */
  recovered: string[];
}

/** Enough saves for steady progress, few enough that re-writing a large registry does not dominate. */
function defaultChunkSize(total: number): number {
  return Math.max(50, Math.ceil(total / 40));
}

async function makeIdentity(ca: LoadedCa, towerId: string, days: number, now: Date): Promise<MadeIdentity> {
  const keys = await generateKeyPair();
  const [keyPem, cert] = await Promise.all([
    exportPrivateKeyPem(keys.privateKey),
    signLeaf(ca, {
      subject: `CN=${towerId}`,
      publicKey: keys.publicKey,
      days,
      now,
      usage: x509.ExtendedKeyUsage.clientAuth,
    }),
  ]);
  const certPem = `${cert.toString('pem')}\n`;
  return { towerId, keyPem, cert, certPem, certificateId: certificateIdOf(cert) };
}

/** Signs and stages one chunk concurrently, then puts it in place and records it under the lock. */
async function issueChunk(
  layout: CertsLayout,
  chunk: readonly string[],
  make: (towerId: string) => Promise<MadeIdentity>,
  o: { caPem: string; concurrency: number; now: Date },
): Promise<ChunkResult> {
  const staged: StagedTower[] = []; // as they finish, to clean up after a failure
  try {
    const inOrder = await mapConcurrent(chunk, o.concurrency, async (towerId) => {
      const s = await stageTower(layout, await make(towerId), o.caPem);
      staged.push(s);
      return s;
    });
    return Registry.update(layout.root, (registry) => commitChunk(registry, layout, inOrder, o.now));
  } catch (e) {
    discard(staged.map((s) => s.staging)); // what was not put in place (a moved one is already gone)
    throw e;
  }
}

/**
 * Keys and certificates for many towers: `D/devices/<towerId>/{cert,key,ca}.pem` each, as
 * `issueDeviceCertificate`, signed concurrently and recorded in one registry save per chunk.
 * Towers that already have a current certificate are skipped, never overwritten, so re-running a
 * stopped batch finishes it; the whole list is checked before the first key is made.
 */
export async function issueDeviceCertificates(
  dir: string,
  towerIds: readonly string[],
  opts: BatchOptions = {},
): Promise<BatchResult> {
  const days = validDays(opts.days, DEVICE_DEFAULT_DAYS);
  const layout = certsLayout(dir);
  const ca = await loadCa(dir);
  const now = opts.now ?? new Date();
  const plan = await planBatch(Registry.load(layout.root), layout, ca, towerIds);
  const result: BatchResult = { issued: [], skipped: [...plan.skipped], recovered: [] };
  const concurrency = Math.max(1, opts.concurrency ?? availableParallelism());
  const chunkSize = Math.max(1, opts.chunkSize ?? defaultChunkSize(plan.issue.length));
  mkdirSync(layout.devicesDir, { recursive: true });
  sweepStaleStaging(layout);

  if (plan.unrecorded.length > 0) {
    Registry.update(layout.root, (registry) => recordUnrecorded(registry, layout, plan.unrecorded, now));
    result.recovered.push(...plan.unrecorded.map((u) => u.towerId));
  }
  const progress = opts.progress?.(plan.issue.length);
  try {
    for (let at = 0; at < plan.issue.length; at += chunkSize) {
      const chunk = plan.issue.slice(at, at + chunkSize);
      const committed = await issueChunk(layout, chunk, (towerId) => makeIdentity(ca, towerId, days, now), {
        caPem: ca.pem,
        concurrency,
        now,
      });
      result.skipped.push(...committed.skipped);
      for (const s of committed.issued) {
        const paths = layout.device(s.towerId);
        result.issued.push({
          towerId: s.towerId,
          certPath: paths.certPath,
          keyPath: paths.keyPath,
          caPath: paths.caPath,
          certificateId: s.certificateId,
        });
      }
      progress?.tick(chunk.length);
      if (committed.failure) throw committed.failure;
    }
  } finally {
    progress?.end(); // also when a chunk fails: a terminal's bar needs its newline before the error line
  }
  return result;
}
