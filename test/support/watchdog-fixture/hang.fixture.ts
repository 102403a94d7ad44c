import { execFileSync } from 'node:child_process';
import { it } from 'vitest';

it('blocks its worker the way a deadlocked native call does', () => {
  // Synchronous, so vitest's own test timeout never gets a chance to run.
  execFileSync('sleep', ['300']);
}, 600_000);
