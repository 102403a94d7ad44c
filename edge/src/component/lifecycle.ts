import type { Logger } from '../config/index.js';

/**
 * What one configuration update did:
 * - 'unchanged': the same configuration; nothing was stopped or started.
 * - 'restarted': the new configuration runs.
 * - 'kept-previous': the new configuration did not start; the previous one runs again.
 * - 'failed': neither started (or an earlier update already failed); nothing runs, ERRORED was
 *   reported and `failure` says why. The caller must exit so that the nucleus restarts it.
 */
export type ApplyOutcome = 'unchanged' | 'restarted' | 'kept-previous' | 'failed';

/** The component states this core reports to the nucleus. */
export type ReportedState = 'RUNNING' | 'ERRORED';

export interface ComponentLifecycleOptions<C, H> {
  /** The running configuration… */
  config: C;
  /** …and its handle; the caller started it (and reported RUNNING). */
  handle: H;
  start: (config: C) => Promise<H>;
  stop: (handle: H) => Promise<void>;
  /** Tells the nucleus the component's state (Greengrass UpdateState). */
  report: (state: ReportedState) => Promise<void>;
  logger: Logger;
  /** Whether an update changes nothing. Default: equal JSON. */
  same?: (a: C, b: C) => boolean;
  /** Fields naming a configuration in log lines (e.g. its tower id). Default: none. */
  describe?: (config: C) => Record<string, unknown>;
}

/**
 * Applies configuration updates to a running component, one at a time and in the order they came.
 * Two instances cannot run side by side (the disk buffer directory is locked by the running one), so
 * an update stops the running instance, then starts the new configuration; if that fails, the
 * previous configuration is started again and kept. `config` and `handle` change only once a start
 * succeeded. If the previous configuration does not start again either, ERRORED is reported and the
 * lifecycle stays failed: the caller must exit rather than idle while the nucleus shows RUNNING.
 */
export class ComponentLifecycle<C, H> {
  private running: { config: C; handle: H } | null;
  private lastConfig: C;
  private failed: Error | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly same: (a: C, b: C) => boolean;
  private readonly describe: (config: C) => Record<string, unknown>;

  constructor(private readonly options: ComponentLifecycleOptions<C, H>) {
    this.running = { config: options.config, handle: options.handle };
    this.lastConfig = options.config;
    this.same = options.same ?? ((a, b) => JSON.stringify(a) === JSON.stringify(b));
    this.describe = options.describe ?? (() => ({}));
  }

  /** The configuration that runs (after a failure: the last one that ran). */
  get config(): C {
    return this.lastConfig;
  }

  /** The running instance; null once an update failed or after stop(). */
  get handle(): H | null {
    return this.running?.handle ?? null;
  }

  /** Why nothing runs any more, once an update returned 'failed'. */
  get failure(): Error | null {
    return this.failed;
  }

  /** Queues an update behind those still applying; resolves with what it did. */
  apply(next: C): Promise<ApplyOutcome> {
    const done = this.queue.then(() => this.applyNow(next));
    this.queue = done.catch(() => {});
    return done;
  }

  /** Waits for queued updates, then stops the running instance (if any). */
  async stop(): Promise<void> {
    await this.queue;
    const running = this.running;
    this.running = null;
    if (running) await this.options.stop(running.handle);
  }

  private async applyNow(next: C): Promise<ApplyOutcome> {
    const running = this.running;
    if (this.failed || !running) return 'failed';
    if (this.same(next, running.config)) return 'unchanged';
    const { start, stop, logger } = this.options;
    this.running = null;
    try {
      await stop(running.handle);
    } catch (e) {
      // Starting anew is still the best try: if the old instance holds on to its buffer directory,
      // both starts below fail and the component reports ERRORED.
      logger.warn('stopping the running configuration failed', { error: message(e) });
    }
    let refused: unknown;
    try {
      const handle = await start(next);
      this.running = { config: next, handle };
      this.lastConfig = next;
      logger.info('configuration changed: component restarted', this.describe(next));
      await this.reportRunning();
      return 'restarted';
    } catch (e) {
      refused = e;
    }
    try {
      const handle = await start(running.config);
      this.running = { config: running.config, handle };
      logger.warn('configuration update refused: it did not start; the previous configuration runs again', {
        ...this.describe(next),
        error: message(refused),
      });
      await this.reportRunning();
      return 'kept-previous';
    } catch (e) {
      this.failed = new Error(
        `the configuration update did not start (${message(refused)}) and the previous configuration did not start again (${message(e)})`,
        { cause: e },
      );
      await this.options.report('ERRORED').catch(() => {});
      return 'failed';
    }
  }

  private async reportRunning(): Promise<void> {
    try {
      await this.options.report('RUNNING');
    } catch (e) {
      this.options.logger.warn('could not report RUNNING to the nucleus', { error: message(e) });
    }
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
