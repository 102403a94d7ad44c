import { readdirSync, readFileSync } from 'node:fs';

/**
 * vitest global setup: a deadline for the whole run. Per-test timeouts cannot stop a worker whose
 * native code has deadlocked (it never returns to JavaScript), and vitest then waits for it forever;
 * past the deadline this names the stuck processes, kills every descendant, and fails the run.
 */
const RUN_DEADLINE_MS = Number(process.env.TOWERWATCH_TEST_DEADLINE_MS ?? 12 * 60_000);

export default function setup(): () => void {
  const timer = setTimeout(() => {
    const stuck = descendants(process.pid);
    console.error(
      `\nvitest run exceeded ${Math.round(RUN_DEADLINE_MS / 1000)} s (TOWERWATCH_TEST_DEADLINE_MS); killing ${stuck.length} stuck processes:`,
    );
    for (const p of stuck) console.error(`  ${p.pid} ${p.command.slice(0, 200)}`);
    for (const p of stuck) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    process.exit(1);
  }, RUN_DEADLINE_MS);
  timer.unref();
  return () => clearTimeout(timer);
}

interface Proc {
  pid: number;
  ppid: number;
  command: string;
}

/** Every process below `root`, from /proc (Linux, where CI runs; elsewhere none are found). */
function descendants(root: number): Proc[] {
  const all: Proc[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      // The command name sits in parentheses and may itself contain spaces; fields follow the last ')'.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      all.push({ pid: Number(e), ppid, command });
    } catch {
      // The process ended while being read.
    }
  }
  const found: Proc[] = [];
  const frontier = [root];
  while (frontier.length) {
    const parent = frontier.pop()!;
    for (const p of all.filter((q) => q.ppid === parent)) {
      found.push(p);
      frontier.push(p.pid);
    }
  }
  return found;
}
