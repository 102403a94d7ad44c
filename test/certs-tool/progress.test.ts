import { describe, expect, it } from 'vitest';
import { createProgress, formatClock, progressBar } from '../../certs-tool/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (t: string) => writes.push(t) } };
}

describe('progress', () => {
  it('formats the bar, the clock and the eta', () => {
    expect(progressBar(512, 1000, 12_000)).toBe('[#####.....] 512/1000 towers 0:12 eta 0:11');
    expect(progressBar(0, 1000, 0)).toBe('[..........] 0/1000 towers 0:00 eta -:--');
    expect(progressBar(1000, 1000, 61_000)).toBe('[##########] 1000/1000 towers 1:01 eta 0:00');
    expect(formatClock(3_723_000)).toBe('1:02:03');
  });

  it('without a terminal: one plain line per 10% step, nothing else', () => {
    const { writes, stream } = fakeStream(false);
    let t = 0;
    const p = createProgress(1000, { stream, now: () => t });
    for (let i = 0; i < 40; i++) {
      t += 250;
      p.tick(25);
    }
    p.end();
    expect(writes).toHaveLength(10);
    expect(writes[0]).toBe('certs-tool: 100/1000 towers 0:01 eta 0:09\n');
    expect(writes.at(-1)).toBe('certs-tool: 1000/1000 towers 0:10 eta 0:00\n');
    expect(writes.join('')).not.toContain('\r');
    expect(writes.join('')).not.toContain('\x1b');
  });

  it('an interrupted count ends with the figure it reached', () => {
    const { writes, stream } = fakeStream(false);
    const p = createProgress(100, { stream, now: () => 0 });
    p.tick(15);
    p.tick(2);
    p.end();
    expect(writes).toEqual([
      'certs-tool: 15/100 towers 0:00 eta 0:00\n',
      'certs-tool: 17/100 towers 0:00 eta 0:00\n',
    ]);
  });

  it('on a terminal: redraws one line, at most every 100 ms, and ends it', () => {
    const { writes, stream } = fakeStream(true);
    let t = 0;
    const p = createProgress(100, { stream, now: () => t });
    for (let i = 0; i < 100; i++) {
      t += 10;
      p.tick();
    }
    p.end();
    expect(writes.length).toBeGreaterThan(5);
    expect(writes.length).toBeLessThan(15);
    expect(writes.slice(0, -1).every((w) => w.startsWith('\r[') && w.endsWith('\x1b[K'))).toBe(true);
    expect(writes.at(-2)).toContain('[##########] 100/100 towers');
    expect(writes.at(-1)).toBe('\n');
  });

  it('--quiet and an empty batch write nothing', () => {
    const { writes, stream } = fakeStream(true);
    createProgress(10, { stream, quiet: true }).tick(10);
    createProgress(0, { stream }).end();
    expect(writes).toEqual([]);
  });
});
