export { Channel } from './channel.js';
export { ThreadInbox, type ThreadEndpoint } from './thread-inbox.js';
