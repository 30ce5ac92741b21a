export { Strand } from './strand.js';
