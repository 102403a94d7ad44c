import { describe, expect, it } from 'vitest';
import { ComponentLifecycle } from '../../../edge/src/component/lifecycle.js';

interface Config {
  name: string;
  sensors: string[];
}

interface Handle {
  config: Config;
  stopped: boolean;
}

/**
 * Fake start/stop with the disk buffer's rule: one instance at a time (a second start while one runs
 * fails as the directory lock would). `refuse` names configurations that fail to start.
 */
function fakeComponent(initial: Config) {
  const events: string[] = [];
  const states: string[] = [];
  const warnings: string[] = [];
  const refuse = new Set<string>();
  let live: Handle | null = null;
  let gate: Promise<void> = Promise.resolve();
  const start = async (config: Config): Promise<Handle> => {
    await gate;
    events.push(`start ${config.name}`);
    if (live) throw new Error(`buffer directory in use (by ${live.config.name})`);
    if (refuse.has(config.name)) throw new Error(`sensor source of ${config.name} did not open`);
    live = { config, stopped: false };
    return live;
  };
  const stop = async (handle: Handle): Promise<void> => {
    events.push(`stop ${handle.config.name}`);
    if (handle.stopped) throw new Error(`${handle.config.name} stopped twice`);
    handle.stopped = true;
    if (live === handle) live = null;
  };
  const first: Handle = { config: initial, stopped: false };
  live = first;
  const lifecycle = new ComponentLifecycle<Config, Handle>({
    config: initial,
    handle: first,
    start,
    stop,
    report: async (state) => {
      states.push(state);
    },
    logger: {
      info: () => {},
      warn: (message, extra) => warnings.push(`${message} ${JSON.stringify(extra ?? {})}`),
    },
    describe: (c) => ({ name: c.name }),
  });
  return {
    lifecycle,
    events,
    states,
    warnings,
    refuse,
    live: () => live,
    /** Holds every start until the returned function is called. */
    holdStarts: () => {
      let release!: () => void;
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return () => release();
    },
  };
}

const v1: Config = { name: 'v1', sensors: ['s1', 's2'] };
const v2: Config = { name: 'v2', sensors: ['s1-v2', 's2-v2'] };
const v3: Config = { name: 'v3', sensors: ['s1-v3'] };

describe('ComponentLifecycle', () => {
  it('keeps the old configuration running when the new one fails to start (stop old, start new, start old again)', async () => {
    const c = fakeComponent(v1);
    c.refuse.add('v2');

    expect(await c.lifecycle.apply(v2)).toBe('kept-previous');

    expect(c.events).toEqual(['stop v1', 'start v2', 'start v1']);
    expect(c.live()?.config).toBe(v1);
    expect(c.lifecycle.config).toBe(v1);
    expect(c.lifecycle.handle).toBe(c.live());
    expect(c.lifecycle.failure).toBeNull();
    expect(c.states).toEqual(['RUNNING']);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain('sensor source of v2 did not open');
    expect(c.warnings[0]).toContain('"name":"v2"');

    // SIGTERM later stops the instance that runs, once.
    await c.lifecycle.stop();
    expect(c.events.at(-1)).toBe('stop v1');
    expect(c.live()).toBeNull();
  });

  it('reports ERRORED and surfaces the failure when the old configuration does not start again either', async () => {
    const c = fakeComponent(v1);
    c.refuse.add('v2');
    c.refuse.add('v1');

    expect(await c.lifecycle.apply(v2)).toBe('failed');

    expect(c.events).toEqual(['stop v1', 'start v2', 'start v1']);
    expect(c.states).toEqual(['ERRORED']);
    expect(c.lifecycle.handle).toBeNull();
    expect(c.lifecycle.config).toBe(v1);
    expect(c.lifecycle.failure?.message).toBe(
      'the configuration update did not start (sensor source of v2 did not open) and the previous configuration did not start again (sensor source of v1 did not open)',
    );
    // Failed is final: later updates start nothing, and stop() stops nothing twice.
    expect(await c.lifecycle.apply(v3)).toBe('failed');
    await c.lifecycle.stop();
    expect(c.events).toEqual(['stop v1', 'start v2', 'start v1']);
  });

  it('replaces the configuration with a good update and reports RUNNING', async () => {
    const c = fakeComponent(v1);
    const before = c.lifecycle.handle;

    expect(await c.lifecycle.apply(v2)).toBe('restarted');

    expect(c.events).toEqual(['stop v1', 'start v2']);
    expect(before?.stopped).toBe(true);
    expect(c.lifecycle.config).toBe(v2);
    expect(c.lifecycle.handle).toBe(c.live());
    expect(c.live()?.config).toBe(v2);
    expect(c.states).toEqual(['RUNNING']);
    expect(c.warnings).toEqual([]);
  });

  it('does nothing for an unchanged configuration', async () => {
    const c = fakeComponent(v1);

    expect(await c.lifecycle.apply(structuredClone(v1))).toBe('unchanged');

    expect(c.events).toEqual([]);
    expect(c.states).toEqual([]);
    expect(c.lifecycle.config).toBe(v1);
  });

  it('applies updates that arrive while one is applying one after another, in order', async () => {
    const c = fakeComponent(v1);
    c.refuse.add('v3');
    const release = c.holdStarts();

    const outcomes = Promise.all([
      c.lifecycle.apply(v2),
      c.lifecycle.apply(v3),
      c.lifecycle.apply(structuredClone(v2)),
      c.lifecycle.apply(v1),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(c.events).toEqual(['stop v1']);
    release();

    expect(await outcomes).toEqual(['restarted', 'kept-previous', 'unchanged', 'restarted']);
    expect(c.events).toEqual([
      'stop v1',
      'start v2',
      'stop v2',
      'start v3',
      'start v2',
      'stop v2',
      'start v1',
    ]);
    expect(c.lifecycle.config).toBe(v1);
    expect(c.live()?.config).toBe(v1);
  });

  it('stop() waits for an update that is applying, then stops what it started', async () => {
    const c = fakeComponent(v1);
    const release = c.holdStarts();
    const applying = c.lifecycle.apply(v2);
    const stopping = c.lifecycle.stop();
    release();
    expect(await applying).toBe('restarted');
    await stopping;
    expect(c.events).toEqual(['stop v1', 'start v2', 'stop v2']);
    expect(c.live()).toBeNull();
    expect(c.lifecycle.handle).toBeNull();
  });
});
