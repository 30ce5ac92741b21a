export { SignalSet, SIGNAL_SET_MEMORY } from './signal-set.js';
