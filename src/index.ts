export * from './errors/index.js';
export * from './ops/index.js';
export * from './allocation/index.js';
export * from './tokens/index.js';
export * from './io-context/index.js';
