import { stateDocument } from '../../state/store.js';
import { oneId } from './common.js';
import type { Command } from '../registry.js';
import { stdout } from '../output.js';

export const command: Command = {
  usage: 'state <container-id>',
  options: {},
  async run(ctx, { positionals }) {
    const id = oneId(positionals);
    const doc = stateDocument(ctx.store, ctx.store.read(id));
    stdout(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  },
};
