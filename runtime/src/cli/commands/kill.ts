import { freezerOf, setFrozen } from '../../cgroups/freezer.js';
import { killAll } from '../../container/destroy.js';
import { parseSignal } from '../../container/signals.js';
import { TsrunError } from '../../errors.js';
import { assertTransition } from '../../state/lifecycle.js';
import { statusOf, validateId } from '../../state/store.js';
import type { Command } from '../registry.js';

export const command: Command = {
  usage: 'kill [--all] <container-id> [signal]',
  options: { all: { type: 'boolean', short: 'a', default: false } },
  async run(ctx, { values, positionals }) {
    if (positionals.length < 1 || positionals.length > 2) throw new TsrunError('usage', 'expected <container-id> [signal]');
    const id = positionals[0] as string;
    validateId(id);
    const signal = parseSignal(positionals[1] ?? 'SIGTERM');
    const rec = ctx.store.read(id);
    const status = statusOf(ctx.store, rec);
    // "container not running" is what containerd's shim matches to treat a kill racing the exit as done (runc's words).
    if (status === 'stopped' && !values.all) throw new TsrunError('invalid_state', `cannot kill container ${id}: container not running`);
    if (values.all) {
      killAll(rec, signal);
      return 0;
    }
    assertTransition(id, status, 'kill');
    process.kill(rec.pid, signal);
    // In a frozen v1 cgroup even SIGKILL waits for a thaw: thaw after it so the container dies (runc does too).
    if (signal === 9 && status === 'paused') {
      const freezer = freezerOf(rec.cgroupPaths);
      if (freezer) setFrozen(freezer, false);
    }
    return 0;
  },
};
