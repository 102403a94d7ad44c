/** 32-bit integer hash (the finaliser of murmur3): spreads seeds and time steps into unrelated values. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Deterministic value in [-1, 1) for (seed, step). */
export function noise(seed: number, step: number): number {
  return hash32(seed, step) / 0x80000000 - 1;
}

/** Deterministic value in [0, 1) for (seed, step). */
export function unit(seed: number, step: number): number {
  return hash32(seed, step) / 0x100000000;
}

export function seedOf(text: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) h = hash32(h, text.charCodeAt(i));
  return h;
}
