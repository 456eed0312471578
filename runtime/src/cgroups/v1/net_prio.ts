// net_prio (v1): one `<interface> <priority>` line per write to net_prio.ifpriomap, in order.
import type { Controller } from '../manager.js';
import { dec } from '../resources.js';

export const netPrio: Controller = {
  name: 'net_prio',
  set(f, r) {
    for (const [i, p] of (r.network?.priorities ?? []).entries()) f.write(`network.priorities[${i}]`, 'net_prio.ifpriomap', `${p.name} ${dec(p.priority)}`);
  },
};
