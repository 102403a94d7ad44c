import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { AlertSchema, FiniteNumberSchema } from '../../../protocol/index.js';
// The buffer's write-fsync-rename is the one atomic state-file write of the component; reused, not copied.
import { writeFileAtomicSync } from '../buffer/atomic-file.js';
import { DetectorSnapshotSchema } from '../detect/index.js';
import { AlertStateFileError } from './errors.js';

export const OPEN_ALERTS_FILE = 'alerts-open.json';

export const ALERT_STATE_FORMAT = 1 as const;

/** `<stateDir>/alerts-open.json`: the detector's open incidents and the alerts the sink has not accepted yet. */
export const AlertStateFileSchema = z
  .object({
    format: z.literal(ALERT_STATE_FORMAT),
    savedAt: FiniteNumberSchema,
    ...DetectorSnapshotSchema.shape,
    /** Handed to the sink, not yet accepted when the file was written: a restart hands them over again. */
    unacked: z.array(AlertSchema),
  })
  .strict();
export type AlertStateFile = z.infer<typeof AlertStateFileSchema>;

/** Keeps the alert state across restarts so an incident is raised once and cleared once, whatever happens between. */
export class AlertStateStore {
  readonly file: string;

  constructor(readonly stateDir: string) {
    this.file = join(stateDir, OPEN_ALERTS_FILE);
  }

  /** undefined when there is no file yet; throws AlertStateFileError when it cannot be used. */
  load(): AlertStateFile | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw new AlertStateFileError(this.file, `cannot be read (${code ?? (e as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new AlertStateFileError(this.file, 'is not valid JSON');
    }
    const parsed = AlertStateFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.map(String).join('.');
      throw new AlertStateFileError(this.file, `${path || 'document'}: ${issue.message}`);
    }
    return parsed.data;
  }

  /** Synchronous on purpose: the caller hands the alert to the sink only once its incident is on disk. */
  save(state: AlertStateFile): void {
    mkdirSync(this.stateDir, { recursive: true });
    writeFileAtomicSync(this.file, JSON.stringify(state));
  }
}
