import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigShadowState, ConfigShadowStateSchema } from '../../../protocol/index.js';
import { writeFileAtomicSync } from '../buffer/atomic-file.js';

export const APPLIED_CONFIG_FILE = 'config-shadow-applied.json';

export interface AppliedConfig {
  /** Shadow version the overrides came from. */
  version: number;
  appliedAt: number;
  overrides: ConfigShadowState;
}

/** The last applied shadow overrides, kept on disk so a restart without a connection starts with them. */
export class AppliedConfigStore {
  readonly file: string;

  constructor(readonly stateDir: string) {
    this.file = join(stateDir, APPLIED_CONFIG_FILE);
  }

  /** undefined when nothing was applied yet; throws with the reason when the file is unusable. */
  load(): AppliedConfig | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const raw = JSON.parse(text) as Partial<AppliedConfig>;
    const overrides = ConfigShadowStateSchema.parse(raw.overrides ?? {});
    return { version: Number(raw.version ?? 0), appliedAt: Number(raw.appliedAt ?? 0), overrides };
  }

  /** fsync'd write-then-rename: without the fsync a power cut can leave the renamed file empty. */
  save(applied: AppliedConfig): void {
    mkdirSync(this.stateDir, { recursive: true });
    writeFileAtomicSync(this.file, JSON.stringify(applied));
  }
}
