// cpu (v2): cpu.idle, cpu.weight, cpu.max.burst and cpu.max, in runc 1.2's order (1.1 plus idle and burst).
//   cpu.weight  from shares with runc's ConvertCPUSharesToCgroupV2Value: 1 + (shares - 2) * 9999 / 262142, which maps
//               v1's 2..262144 onto v2's 1..10000 (shares 1024, v1's default, becomes 39, not v2's default 100)
//   cpu.max     "<quota> <period>", "max <period>" for a quota <= 0 or unset, period 100000 when unset
// A burst the kernel refuses with EINVAL before the new quota exists is written again after cpu.max.
import { errCode } from '../errors.js';
import type { Controller } from '../manager.js';
import { dec } from '../resources.js';

export function sharesToWeight(shares: number): bigint {
  // runc computes in uint64, so shares below 2 wrap around there; v1's kernel clamps them to 2, and so do we.
  const s = BigInt(Math.max(2, shares));
  return 1n + ((s - 2n) * 9999n) / 262142n;
}

export const cpu: Controller = {
  name: 'cpu',
  set(f, r) {
    const c = r.cpu;
    if (!c) return;
    // Idle 0 is the kernel's default: on a kernel without cpu.idle there is nothing to undo.
    if (c.idle !== undefined && (c.idle !== 0 || f.has('cpu.idle'))) f.write('cpu.idle', 'cpu.idle', dec(c.idle));
    if (c.shares) f.write('cpu.shares', 'cpu.weight', sharesToWeight(c.shares).toString());
    let burst: string | undefined;
    if (c.burst !== undefined && (c.burst !== 0 || f.has('cpu.max.burst'))) {
      try {
        f.write('cpu.burst', 'cpu.max.burst', dec(c.burst));
      } catch (err) {
        if (errCode(err) !== 'EINVAL' || !c.quota) throw err;
        burst = dec(c.burst);
      }
    }
    if (c.quota || c.period) {
      const quota = c.quota !== undefined && c.quota > 0 ? dec(c.quota) : 'max';
      f.write(c.quota ? 'cpu.quota' : 'cpu.period', 'cpu.max', `${quota} ${dec(c.period || 100000)}`);
      if (burst !== undefined) f.write('cpu.burst', 'cpu.max.burst', burst);
    }
  },
};
