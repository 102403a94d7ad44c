export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 60_000 } as const;

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a fleet of towers that lost the same cell does not reconnect in lockstep.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

/** One pending reconnection at a time, each drawn from a longer backoff than the last until `reset()`. */
export class RetryTimer {
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly retry: () => void,
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.retry();
      },
      backoffDelayMs(this.attempt++, this.options),
    );
  }

  /** After a successful connection: the next loss starts again from the shortest delay. */
  reset(): void {
    this.attempt = 0;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
