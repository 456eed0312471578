import { pauseContainer } from '../../container/freeze.js';
import { oneId } from './common.js';
import type { Command } from '../registry.js';

export const command: Command = {
  usage: 'pause <container-id>',
  options: {},
  async run(ctx, { positionals }) {
    pauseContainer(ctx, oneId(positionals));
    return 0;
  },
};
