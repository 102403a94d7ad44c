import { assertTowerId } from '../protocol/index.js';
import { UnknownTowerError } from './errors.js';
import { issueForTower } from './device.js';
import { certsLayout } from './layout.js';
import { Registry, type RegistryEntry } from './registry.js';
import type { DeviceCertificate, IssueOptions } from './types.js';

/** Mark every certificate of the tower that is not yet revoked as REVOKED (a rotated-out one too). */
export function revokeTower(dir: string, towerId: string, opts: { now?: Date } = {}): RegistryEntry[] {
  assertTowerId(towerId);
  return Registry.update(certsLayout(dir).root, (registry) => {
    const live = registry.forTower(towerId).filter((c) => c.status !== 'REVOKED');
    if (live.length === 0) {
      throw new UnknownTowerError(
        `tower ${towerId} has no certificate to revoke in ${registry.dir}`,
        'check the tower id and --dir',
      );
    }
    const revoked = live.map((c) => registry.setStatus(c.certificateId, 'REVOKED', opts.now));
    return revoked.map((e) => ({ ...e }));
  });
}

export interface RotationResult {
  /** the successor just issued; null when `confirm` only finished a pending rotation */
  issued: DeviceCertificate | null;
  /** certificate id the successor replaces */
  replaces: string;
  /** certificate ids turned INACTIVE by this call */
  deactivated: string[];
}

function deactivatePredecessors(
  registry: Registry,
  towerId: string,
  successorId: string,
  now: Date,
): string[] {
  const certs = registry.forTower(towerId);
  const at = certs.findIndex((c) => c.certificateId === successorId);
  const older = certs.slice(0, at).filter((c) => c.status === 'ACTIVE');
  for (const c of older) registry.setStatus(c.certificateId, 'INACTIVE', now);
  return older.map((c) => c.certificateId);
}

/**
 * Issue a successor for the tower's current certificate. The old one stays ACTIVE so the tower keeps
 * connecting until it switches; it turns INACTIVE when the successor is first used
 * (`recordCertificateUse`) or at once with `confirm`. `confirm` on a pending rotation only finishes it.
 */
export async function rotateTower(
  dir: string,
  towerId: string,
  opts: IssueOptions & { confirm?: boolean } = {},
): Promise<RotationResult> {
  assertTowerId(towerId);
  const now = opts.now ?? new Date();
  const root = certsLayout(dir).root;
  const before = Registry.load(root);
  const current = before.currentForTower(towerId);
  if (!current) {
    throw new UnknownTowerError(
      `tower ${towerId} has no active certificate to rotate`,
      `issue one with certs-tool device issue ${towerId}`,
    );
  }
  const pending = current.replaces !== undefined && before.find(current.replaces)?.status === 'ACTIVE';
  if (opts.confirm && pending) {
    const deactivated = Registry.update(root, (registry) =>
      deactivatePredecessors(registry, towerId, current.certificateId, now),
    );
    return { issued: null, replaces: current.replaces!, deactivated };
  }
  const issued = await issueForTower(dir, towerId, {
    ...opts,
    now,
    replaces: current.certificateId,
    expectedCurrent: current.certificateId,
  });
  let deactivated: string[] = [];
  if (opts.confirm) {
    deactivated = Registry.update(root, (registry) =>
      deactivatePredecessors(registry, towerId, issued.certificateId, now),
    );
  }
  return { issued, replaces: current.certificateId, deactivated };
}

/**
 * Called by a broker when a certificate completes a TLS handshake: records when it was seen and, if it
 * is a rotation successor, retires the certificates it replaced. Returns the ids retired.
 */
export function recordCertificateUse(dir: string, certificateId: string, now = new Date()): string[] {
  // A retired or unknown certificate changes nothing, so update() writes nothing for it.
  return Registry.update(certsLayout(dir).root, (registry) => {
    const entry = registry.find(certificateId);
    if (entry?.status !== 'ACTIVE') return [];
    registry.upsert({ ...entry, lastSeenAt: now.toISOString() });
    return entry.replaces && entry.towerId
      ? deactivatePredecessors(registry, entry.towerId, certificateId, now)
      : [];
  });
}
