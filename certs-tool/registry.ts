import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { TowerIdSchema } from '../protocol/index.js';
import { withFileLock } from './registry-lock.js';

/**
 * The certificate registry: one JSON file in the certs-tool directory listing every certificate
 * issued, as IoT Core's certificate list would. The local broker reads it to refuse revoked and
 * inactive certificates.
 */
export const REGISTRY_FILE = 'registry.json';
export const CERT_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_ACTIVATION'] as const;

export const RegistryEntrySchema = z.object({
  /** hex SHA-256 of the certificate DER, as AWS IoT computes certificateId */
  certificateId: z.string().regex(/^[0-9a-f]{64}$/),
  /** thing name the certificate is attached to (= tower id); `server`/`ca` entries have kind set instead */
  towerId: TowerIdSchema.nullable(),
  kind: z.enum(['device', 'server', 'ca']),
  status: z.enum(CERT_STATUSES),
  serial: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  /** path relative to the registry directory */
  certPath: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** certificate id this one succeeds (rotation); the predecessor turns INACTIVE once this one is used */
  replaces: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** last time a broker saw this certificate in a TLS handshake */
  lastSeenAt: z.string().optional(),
});
export type RegistryEntry = z.infer<typeof RegistryEntrySchema>;
export type CertStatus = RegistryEntry['status'];

export const RegistrySchema = z.object({ version: z.literal(1), certificates: z.array(RegistryEntrySchema) });
export type RegistryData = z.infer<typeof RegistrySchema>;

export class Registry {
  private changed = false;

  private constructor(
    readonly dir: string,
    private data: RegistryData,
  ) {}

  /**
   * Read, change and write the registry as one step that other processes wait for. `change` throwing,
   * or changing nothing, leaves the file as it was.
   */
  static update<T>(dir: string, change: (registry: Registry) => T): T {
    mkdirSync(dir, { recursive: true });
    return withFileLock(join(dir, REGISTRY_FILE), () => {
      const registry = Registry.load(dir);
      const result = change(registry);
      if (registry.changed) registry.save();
      return result;
    });
  }

  /** A snapshot for reading; changes go through `update`. */
  static load(dir: string): Registry {
    const file = join(dir, REGISTRY_FILE);
    let raw: string;
    try {
      raw = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        return new Registry(dir, { version: 1, certificates: [] });
      throw new Error(`cannot read ${file}: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new Error(
        `${file} is not valid JSON (restore it from backup or remove it and re-issue certificates)`,
      );
    }
    const parsed = RegistrySchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${file}: ${issue.path.join('.')}: ${issue.message}`);
    }
    return new Registry(dir, parsed.data);
  }

  get entries(): readonly RegistryEntry[] {
    return this.data.certificates;
  }

  find(certificateId: string): RegistryEntry | undefined {
    return this.data.certificates.find((c) => c.certificateId === certificateId);
  }

  forTower(towerId: string): RegistryEntry[] {
    return this.data.certificates.filter((c) => c.towerId === towerId && c.kind === 'device');
  }

  /** True only for a certificate the registry lists as ACTIVE; unknown certificates are not active. */
  isActive(certificateId: string): boolean {
    return this.find(certificateId)?.status === 'ACTIVE';
  }

  /** The tower's newest device certificate that is not revoked, if any (entries are kept in issue order). */
  currentForTower(towerId: string): RegistryEntry | undefined {
    return this.forTower(towerId)
      .filter((c) => c.status !== 'REVOKED')
      .at(-1);
  }

  /** `currentForTower` for every tower at once: one pass, for batches that ask about thousands. */
  currentByTower(): Map<string, RegistryEntry> {
    const current = new Map<string, RegistryEntry>();
    for (const c of this.data.certificates)
      if (c.kind === 'device' && c.towerId !== null && c.status !== 'REVOKED') current.set(c.towerId, c);
    return current;
  }

  upsert(entry: RegistryEntry): void {
    const i = this.data.certificates.findIndex((c) => c.certificateId === entry.certificateId);
    if (i >= 0) this.data.certificates[i] = entry;
    else this.data.certificates.push(entry);
    this.changed = true;
  }

  setStatus(certificateId: string, status: CertStatus, now = new Date()): RegistryEntry {
    const entry = this.find(certificateId);
    if (!entry) throw new Error(`certificate ${certificateId} is not in the registry`);
    entry.status = status;
    this.changed = true;
    entry.updatedAt = now.toISOString();
    return entry;
  }

  /** Atomic: a crash leaves either the old or the new file, never half of one. */
  private save(): void {
    const file = join(this.dir, REGISTRY_FILE);
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o644 });
    renameSync(tmp, file);
  }
}
