export { Channel } from './channel.js';
