// memory (v1): limit and memory+swap limit, soft limit, oom_control, swappiness; kernel and kernelTCP are ignored
// (runc 1.1 too: the kernel deprecated kmem limits; apply() warns).
//
// The kernel keeps memsw.limit >= limit at every moment, so the order of the two writes depends on the current limit
// (runc's setMemoryAndSwap): when swap is unlimited (-1) or the current limit is below the new swap value, swap goes
// first, else the limit does. limit -1 with no swap given also lifts the swap limit, where the kernel accounts swap.
import { errCode } from '../errors.js';
import type { Controller } from '../manager.js';
import { dec, invalid, readU64, type LinuxMemory, type ResourceFiles } from '../resources.js';

const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';

function setLimit(f: ResourceFiles, limit: number): void {
  if (limit === 0) return;
  try {
    f.write('memory.limit', LIMIT, dec(limit));
  } catch (err) {
    if (errCode(err) !== 'EBUSY') throw err;
    // The kernel refuses a limit below what the cgroup uses now: say how much that is, as runc does.
    let usage = '?';
    let peak = '?';
    try {
      usage = f.read('memory.limit', 'memory.usage_in_bytes').trim();
      peak = f.read('memory.limit', 'memory.max_usage_in_bytes').trim();
    } catch {
      // Without the numbers the errno still says what happened.
    }
    throw f.failure('memory.limit', 'write', LIMIT, err, `the cgroup uses more than ${dec(limit)} bytes now (current usage ${usage}, peak ${peak})`);
  }
}

function setSwap(f: ResourceFiles, swap: number): void {
  if (swap !== 0) f.write('memory.swap', MEMSW, dec(swap));
}

function setLimitAndSwap(f: ResourceFiles, m: LinuxMemory): void {
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  if (limit === -1 && swap === 0 && f.has(MEMSW)) swap = -1;
  if (limit !== 0 && swap !== 0) {
    const current = readU64(f.read('memory.limit', LIMIT));
    if (swap === -1 || current < BigInt(swap)) {
      setSwap(f, swap);
      setLimit(f, limit);
      return;
    }
  }
  setLimit(f, limit);
  setSwap(f, swap);
}

export const memory: Controller = {
  name: 'memory',
  check(r) {
    const s = r.memory?.swappiness;
    if (s !== undefined && (s < 0 || s > 100)) throw invalid('memory.swappiness', `${s} is out of range (0-100)`);
  },
  set(f, r) {
    const m = r.memory;
    if (!m) return;
    setLimitAndSwap(f, m);
    if (m.reservation) f.write('memory.reservation', 'memory.soft_limit_in_bytes', dec(m.reservation));
    // Like runc, only ever disables the OOM killer: false leaves the cgroup as it is.
    if (m.disableOOMKiller === true) f.write('memory.disableOOMKiller', 'memory.oom_control', '1');
    if (m.swappiness !== undefined) f.write('memory.swappiness', 'memory.swappiness', dec(m.swappiness));
  },
};
