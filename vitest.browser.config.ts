import { defineConfig } from 'vitest/config';

// Browser tests: Node drives the machine's Chromium through playwright-core over the built bundle.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    // Ceilings, not waits: every test waits on state; a busy 2-core machine can take minutes.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each file launches its own Chromium; two at a time suits a 2-core machine.
    maxWorkers: 2,
  },
});
