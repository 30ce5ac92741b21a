export { SteadyTimer } from './steady-timer.js';
export { ManualClock } from './manual-clock.js';
