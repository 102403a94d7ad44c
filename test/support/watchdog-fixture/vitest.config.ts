import { defineConfig } from 'vitest/config';

/** Runs only the hanging fixture, under the same watchdog as the real suite. */
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['hang.fixture.ts'],
    pool: 'forks',
    globalSetup: ['../watchdog.ts'],
  },
});
