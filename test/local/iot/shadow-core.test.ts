import { describe, expect, it } from 'vitest';
import { ShadowRequestError } from '../../../local/iot/index.js';
import { computeDelta, getShadow, updateShadow } from '../../../local/iot/shadow/index.js';

const body = (v: unknown) => Buffer.from(JSON.stringify(v));

function rejected(fn: () => unknown): ShadowRequestError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ShadowRequestError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('shadow document rules', () => {
  it('computes nested deltas and replaces arrays whole', () => {
    expect(
      computeDelta(
        { a: 1, b: { c: 2, d: 3 }, list: [1, 2], same: 'x' },
        { a: 1, b: { c: 2, d: 4 }, list: [1], same: 'x' },
      ),
    ).toEqual({ b: { d: 3 }, list: [1, 2] });
    expect(computeDelta({ a: 1 }, undefined)).toEqual({ a: 1 });
    expect(computeDelta(undefined, { a: 1 })).toEqual({});
  });

  it('keeps per-element metadata for arrays and removes a whole section with null', () => {
    const first = updateShadow(
      undefined,
      body({ state: { reported: { list: [1, { x: 2 }] }, desired: { a: 1 } } }),
      100,
    );
    expect(first.stored.metadata?.reported).toEqual({
      list: [{ timestamp: 100 }, { x: { timestamp: 100 } }],
    });
    const second = updateShadow(first.stored, body({ state: { desired: null } }), 200);
    expect(second.stored.state).toEqual({ reported: { list: [1, { x: 2 }] } });
    expect(second.outcome.delta).toBeUndefined();
    expect(getShadow(second.stored, Buffer.alloc(0), 300, 'n').accepted).toMatchObject({
      version: 2,
      timestamp: 300,
    });
  });

  it('publishes a delta when a report changes what is outstanding, not on an unrelated report', () => {
    const a = updateShadow(undefined, body({ state: { desired: { t: 1 }, reported: { t: 1 } } }), 1);
    expect(a.outcome.delta).toBeUndefined();
    const b = updateShadow(a.stored, body({ state: { reported: { t: 2 } } }), 2);
    expect(b.outcome.delta).toMatchObject({ state: { t: 1 }, version: 2 });
    const c = updateShadow(b.stored, body({ state: { reported: { other: true } } }), 3);
    expect(c.outcome.delta).toBeUndefined();
  });

  it('refuses invalid requests with the IoT codes and messages', () => {
    expect(rejected(() => updateShadow(undefined, body({ state: { delta: {} } }), 1))).toMatchObject({
      code: 400,
      message: "State contains an invalid node: 'delta'",
    });
    expect(rejected(() => updateShadow(undefined, body({ state: { desired: 5 } }), 1)).code).toBe(400);
    expect(
      rejected(() => updateShadow(undefined, body({ state: {}, clientToken: 'x'.repeat(65) }), 1)).code,
    ).toBe(400);
    let deep: unknown = 1;
    for (let i = 0; i < 9; i++) deep = { d: deep };
    expect(rejected(() => updateShadow(undefined, body({ state: { reported: deep } }), 1)).message).toMatch(
      /nesting/,
    );
    expect(rejected(() => updateShadow(undefined, body([1]), 1)).code).toBe(400);
    expect(rejected(() => getShadow(undefined, Buffer.alloc(0), 1, 'config')).code).toBe(404);
  });
});
