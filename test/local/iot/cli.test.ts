import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../local/cli/local.js';

describe('towerwatch local', () => {
  afterEach(() => vi.restoreAllMocks());

  async function run(argv: string[]) {
    vi.restoreAllMocks();
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await main(argv);
    return {
      code,
      stderr: err.mock.calls.map((c) => c.join(' ')),
      stdout: out.mock.calls.map((c) => c.join(' ')),
    };
  }

  it('refuses a bad fleet size or rate for the full stack in one line each', async () => {
    const towers = await run(['--towers', '0']);
    expect(towers.code).toBe(2);
    expect(towers.stderr).toHaveLength(1);
    expect(towers.stderr[0]).toMatch(/--towers.*towers must be a whole number 1-500, got 0/);
    const rate = await run(['--rate', 'fast']);
    expect(rate.code).toBe(2);
    expect(rate.stderr[0]).toMatch(/rate is samples per second per sensor/);
  });

  it('refuses a bad port and a certs directory without a CA in one line each', async () => {
    const port = await run(['--only', 'iot', '--port', 'eighty']);
    expect(port.code).toBe(2);
    expect(port.stderr).toHaveLength(1);
    expect(port.stderr[0]).toMatch(/--port.*port must be 0-65535/);

    const dir = await run([
      '--only',
      'iot',
      '--dir',
      '/nonexistent/certs',
      '--port',
      '0',
      '--data-plane-port',
      '0',
    ]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toHaveLength(1);
    expect(dir.stderr[0]).toMatch(
      /fleet CA certificate not found .*certs-tool ca init --dir \/nonexistent\/certs/,
    );
  });

  it('prints its options with --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.join('\n')).toMatch(/--only <part>[\s\S]*--data-plane-port[\s\S]*--dir/);
  });
});
