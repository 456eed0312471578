import { deleteContainer } from '../../container/delete.js';
import { oneId } from './common.js';
import type { Command } from '../registry.js';

export const command: Command = {
  usage: 'delete [--force] <container-id>',
  options: { force: { type: 'boolean', short: 'f', default: false } },
  async run(ctx, { values, positionals }) {
    await deleteContainer(ctx, oneId(positionals), Boolean(values.force));
    return 0;
  },
};
