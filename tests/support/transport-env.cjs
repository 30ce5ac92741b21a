/** Sets PROACTOR_TRANSPORT for a jest project that runs the stream tests on one transport (see jest.config.cjs). */
process.env.PROACTOR_TRANSPORT = globalThis.PROACTOR_TRANSPORT;
