import { parseResourcesJson, readResourcesArg, updateContainer, updateFromFlags, UPDATE_OPTIONS } from '../../container/update.js';
import { oneId } from './common.js';
import type { Command } from '../registry.js';

export const command: Command = {
  usage:
    'update [-r FILE|-] [--memory N] [--memory-reservation N] [--memory-swap N] [--kernel-memory N] [--kernel-memory-tcp N] [--cpu-period N] [--cpu-quota N] [--cpu-share N] [--cpu-rt-period N] [--cpu-rt-runtime N] [--cpuset-cpus LIST] [--cpuset-mems LIST] [--blkio-weight N] [--pids-limit N] <container-id>',
  options: UPDATE_OPTIONS as Command['options'],
  async run(ctx, { values, positionals }) {
    const id = oneId(positionals);
    const r = values.resources;
    const update = typeof r === 'string' && r !== '' ? parseResourcesJson(readResourcesArg(r)) : updateFromFlags(values);
    await updateContainer(ctx, id, update);
    return 0;
  },
};
