import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFileLock } from '../../../certs-tool/registry-lock.js';
import { LocalIotError } from '../errors.js';
import { type ProvisioningData, ProvisioningDataSchema } from './types.js';

/** Beside certs-tool's registry.json in the certs directory: the rest of what IoT's registry holds. */
export const PROVISIONING_FILE = 'iot-provisioning.json';

const empty = (): ProvisioningData => ({ version: 1, caCertificates: {}, things: {}, policyAttachments: {} });

/**
 * The local IoT registry file: read again only when it changed (the broker asks on every CONNECT),
 * changed under the same kind of lock certs-tool's registry uses, written by temp file and rename.
 */
export class ProvisioningStore {
  private readonly file: string;
  private cached: ProvisioningData = empty();
  private stamp = '';

  constructor(private readonly dir: string) {
    this.file = join(dir, PROVISIONING_FILE);
  }

  read(): ProvisioningData {
    const stamp = this.currentStamp();
    if (stamp !== this.stamp) {
      this.cached = stamp === 'missing' ? empty() : this.load();
      this.stamp = stamp;
    }
    return this.cached;
  }

  update<T>(change: (data: ProvisioningData) => T): T {
    mkdirSync(this.dir, { recursive: true });
    return withFileLock(this.file, () => {
      this.stamp = '';
      const data = structuredClone(this.read());
      const result = change(data);
      const tmp = `${this.file}.${randomUUID()}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o644 });
      renameSync(tmp, this.file);
      this.stamp = '';
      return result;
    });
  }

  private load(): ProvisioningData {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (e) {
      throw new LocalIotError(`${this.file}: ${(e as Error).message} (remove it to start over)`);
    }
    const parsed = ProvisioningDataSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new LocalIotError(
        `${this.file}: ${issue.path.join('.')}: ${issue.message} (remove it to start over)`,
      );
    }
    return parsed.data;
  }

  private currentStamp(): string {
    try {
      const st = statSync(this.file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }
}
