/**
 * Progress of a batch on stderr: a redrawn bar on a terminal, a plain line every 10% otherwise (logs
 * and CI keep readable lines, not carriage returns). Hand-written, no dependency: none of ours draws
 * progress, and the whole bar is the two pure functions below.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Progress {
  /** `n` more items finished */
  tick(n?: number): void;
  /** the final figure (and on a terminal, the newline that ends the bar) */
  end(): void;
}

const BAR_WIDTH = 10;
/** A terminal redraw at most this often: 1,000 towers in seconds would otherwise be 1,000 writes. */
const REDRAW_MS = 100;
const STEPS = 10;

/** `0:12`, `12:05`, `1:02:03`. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** `512/1000 towers 0:12 eta 0:11`; the eta assumes the rest goes at the rate so far. */
export function progressFigures(done: number, total: number, elapsedMs: number, unit = 'towers'): string {
  const eta = done === 0 ? '-:--' : formatClock((elapsedMs / done) * (total - done));
  return `${done}/${total} ${unit} ${formatClock(elapsedMs)} eta ${eta}`;
}

/** `[#####.....] 512/1000 towers 0:12 eta 0:11` */
export function progressBar(done: number, total: number, elapsedMs: number, unit = 'towers'): string {
  const filled = total === 0 ? BAR_WIDTH : Math.floor((done / total) * BAR_WIDTH);
  const bar = '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled);
  return `[${bar}] ${progressFigures(done, total, elapsedMs, unit)}`;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  quiet?: boolean;
  now?: () => number;
  /** what is counted, `towers` by default */
  unit?: string;
  /** prefix of the plain lines, so they read as this tool's in a shared log */
  label?: string;
}

export const SILENT: Progress = { tick: () => {}, end: () => {} };

export function createProgress(total: number, opts: ProgressOptions = {}): Progress {
  if (opts.quiet || total === 0) return SILENT;
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const unit = opts.unit ?? 'towers';
  const label = opts.label ?? 'certs-tool';
  const started = now();
  let done = 0;
  if (stream.isTTY) {
    let drawnAt = Number.NEGATIVE_INFINITY;
    const draw = () => {
      drawnAt = now();
      // \r back to the line start, \x1b[K clears what a longer previous line left behind.
      stream.write(`\r${progressBar(done, total, drawnAt - started, unit)}\x1b[K`);
    };
    draw();
    return {
      tick(n = 1) {
        done = Math.min(total, done + n);
        if (now() - drawnAt >= REDRAW_MS || done === total) draw();
      },
      end() {
        draw();
        stream.write('\n');
      },
    };
  }
  let step = 0;
  let printed = 0;
  const line = () => {
    printed = done;
    stream.write(`${label}: ${progressFigures(done, total, now() - started, unit)}\n`);
  };
  return {
    tick(n = 1) {
      done = Math.min(total, done + n);
      const reached = Math.floor((done / total) * STEPS);
      if (reached > step) {
        step = reached;
        line();
      }
    },
    end() {
      // Only a count stopped between steps needs a final line; the 100% step printed itself.
      if (done !== printed) line();
    },
  };
}
