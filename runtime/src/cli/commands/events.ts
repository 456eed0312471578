import { parseDuration, statsEvent, statsFromPaths, watchEvents } from '../../container/stats.js';
import { TsrunError } from '../../errors.js';
import { statusOf } from '../../state/store.js';
import { oneId } from './common.js';
import type { Command } from '../registry.js';
import { stdout } from '../output.js';

export const command: Command = {
  usage: 'events [--stats] [--interval DURATION] <container-id>',
  options: { stats: { type: 'boolean', default: false }, interval: { type: 'string', default: '5s' } },
  async run(ctx, { values, positionals }) {
    const id = oneId(positionals);
    const interval = parseDuration(String(values.interval));
    const rec = ctx.store.read(id);
    if (statusOf(ctx.store, rec) === 'stopped') throw new TsrunError('invalid_state', `container ${id} is not running`);
    if (values.stats) {
      stdout(statsEvent(id, statsFromPaths(rec.cgroupPaths)));
      return 0;
    }
    await watchEvents(rec, interval, stdout, ctx.warn);
    return 0;
  },
};
