/**
 * Jest runs the TypeScript sources through ts-jest as CommonJS; type checking is `npm run typecheck`.
 *
 * The stream-socket suite runs once per transport: every test on the default transport (the native
 * one where its addon is built, else the handle one), then the stream tests again with
 * PROACTOR_TRANSPORT forcing each other transport (tests/support/transport-env.cjs); the UDP tests
 * run again on the handle project, for the datagram path without the native addon's reads and sends.
 */
const fs = require('node:fs');
const path = require('node:path');

const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node10', isolatedModules: true }, diagnostics: false }],
  },
};

/** The stream tests (TCP and Unix sockets, their composed operations and cancellation), not the UDP ones. */
const STREAM_TESTS = ['**/net-!(udp-)*.test.ts', '**/cancellation-socket.test.ts'];
/** The UDP tests: run again on the handle project, whose datagram sockets then use the handle path without the native reads. */
const UDP_TESTS = ['**/net-udp-*.test.ts', '**/reliability-udp-flood.test.ts'];

const nativeBuilt = fs.existsSync(path.join(__dirname, 'build', 'Release', 'proactor_native.node')) || Boolean(process.env.PROACTOR_NATIVE_ADDON);
const forced = process.env.PROACTOR_TRANSPORT;
const others = forced ? [] : nativeBuilt ? ['handle', 'chunk'] : ['chunk'];

module.exports = {
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.cjs'],
  projects: [
    { ...base, displayName: forced || (nativeBuilt ? 'native' : 'handle'), testMatch: ['**/*.test.ts'] },
    ...others.map((transport) => ({
      ...base,
      displayName: transport,
      testMatch: transport === 'handle' ? [...STREAM_TESTS, ...UDP_TESTS] : STREAM_TESTS,
      globals: { PROACTOR_TRANSPORT: transport },
      setupFiles: ['<rootDir>/tests/support/transport-env.cjs'],
    })),
  ],
};
