import { type ConfigShadowState, ConfigShadowStateSchema } from '../../../protocol/index.js';
import type { Clock, ConfigShadowPort, ShadowDocument } from '../ports.js';
import { configErrorFromIssues } from './errors.js';
import { reportedPatch } from './overlay.js';
import { type AppliedConfig, AppliedConfigStore } from './store.js';
import type { Logger } from './types.js';

export interface ShadowConfigOptions {
  port?: ConfigShadowPort;
  stateDir: string;
  clock: Clock;
  /** Applies validated overrides to the running component; must not throw for a valid document. */
  apply(overrides: ConfigShadowState): void;
  logger: Logger;
}

export interface ShadowConfigStatus {
  appliedVersion: number | null;
  configError: string | null;
}

/**
 * Drives per-tower overrides from the named shadow `config`: desired → validate → apply (no
 * restart) → report. An invalid desired document leaves the last good overrides in force and says
 * why in `reported.configError`. Applied overrides are persisted so an offline restart uses them.
 */
export class ShadowConfigController {
  private readonly store: AppliedConfigStore;
  private applied: AppliedConfig | undefined;
  private lastReported: unknown;
  private handledVersion: number | null = null;
  private configError: string | null = null;
  private unsubscribe: (() => void) | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: ShadowConfigOptions) {
    this.store = new AppliedConfigStore(options.stateDir);
  }

  /** The overrides persisted by the last run, to start with before the shadow answers (or when it never does). */
  restore(): ConfigShadowState {
    try {
      this.applied = this.store.load();
    } catch (e) {
      this.options.logger.warn('ignoring unreadable persisted shadow config', {
        file: this.store.file,
        error: (e as Error).message.split('\n')[0],
      });
    }
    return this.applied?.overrides ?? {};
  }

  status(): ShadowConfigStatus {
    return { appliedVersion: this.applied?.version ?? null, configError: this.configError };
  }

  /**
   * Subscribes and fetches the current document in the background: a shadow that does not answer
   * (offline start) must not hold up sampling. `settled()` waits for it.
   */
  start(): void {
    const port = this.options.port;
    if (!port) return;
    this.unsubscribe?.();
    this.unsubscribe = port.subscribe((doc) => {
      void this.enqueue(doc);
    });
    this.queue = this.queue
      .then(() => port.get())
      .then((doc) => (doc ? this.handle(doc) : undefined))
      .catch((e: unknown) => {
        this.options.logger.warn('shadow config not reachable; running with the last applied overrides', {
          error: (e as Error).message,
          appliedVersion: this.applied?.version ?? null,
        });
      });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Resolves once every document received so far was handled. */
  settled(): Promise<void> {
    return this.queue;
  }

  private enqueue(doc: ShadowDocument): Promise<void> {
    this.queue = this.queue
      .then(() => this.handle(doc))
      .catch((e: unknown) => {
        this.options.logger.warn('could not apply shadow config', {
          version: doc.version,
          error: (e as Error).message,
        });
      });
    return this.queue;
  }

  private async handle(doc: ShadowDocument): Promise<void> {
    if (this.handledVersion !== null && doc.version <= this.handledVersion) return;
    const parsed = ConfigShadowStateSchema.safeParse(doc.desired ?? {});
    if (!parsed.success) {
      this.configError = configErrorFromIssues(parsed.error.issues).message;
      this.options.logger.warn('rejected shadow config; keeping the last good one', {
        version: doc.version,
        configError: this.configError,
      });
      if (await this.report({ configError: this.configError })) this.handledVersion = doc.version;
      return;
    }
    const overrides = parsed.data;
    this.options.apply(overrides);
    const applied: AppliedConfig = { version: doc.version, appliedAt: this.options.clock.now(), overrides };
    this.applied = applied;
    this.configError = null;
    try {
      this.store.save(applied);
    } catch (e) {
      this.options.logger.warn('could not persist applied shadow config', { error: (e as Error).message });
    }
    this.options.logger.info('applied shadow config', { version: doc.version });
    const reported = {
      ...overrides,
      configError: null,
      appliedAt: applied.appliedAt,
      appliedVersion: doc.version,
    };
    if (
      await this.report(
        reportedPatch(doc.reported ?? this.lastReported, reported) as Record<string, unknown>,
        reported,
      )
    ) {
      this.handledVersion = doc.version;
    }
  }

  /** False when the report could not be sent; the next document (or reconnect) retries it. */
  private async report(patch: Record<string, unknown>, full?: Record<string, unknown>): Promise<boolean> {
    try {
      await this.options.port!.report(patch);
      if (full) this.lastReported = full;
      return true;
    } catch (e) {
      this.options.logger.warn('could not report shadow config', { error: (e as Error).message });
      return false;
    }
  }
}
