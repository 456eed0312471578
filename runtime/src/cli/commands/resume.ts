import { resumeContainer } from '../../container/freeze.js';
import { oneId } from './common.js';
import type { Command } from '../registry.js';

export const command: Command = {
  usage: 'resume <container-id>',
  options: {},
  async run(ctx, { positionals }) {
    resumeContainer(ctx, oneId(positionals));
    return 0;
  },
};
