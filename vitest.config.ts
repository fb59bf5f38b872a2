import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default'],
    passWithNoTests: false,
    testTimeout: 30_000,
  },
})
