/** Jest runs the TypeScript sources through ts-jest as CommonJS; type checking is `npm run typecheck`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node10', isolatedModules: true }, diagnostics: false }],
  },
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.cjs'],
};
