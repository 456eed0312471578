import { startContainer } from '../../container/start.js';
import { oneId } from './common.js';
import type { Command } from '../registry.js';

export const command: Command = {
  usage: 'start <container-id>',
  options: {},
  async run(ctx, { positionals }) {
    await startContainer(ctx, oneId(positionals));
    return 0;
  },
};
