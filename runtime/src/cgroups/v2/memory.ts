// memory (v2): memory.swap.max, memory.max, memory.low, in runc's order; -1 is "max", 0 leaves a file alone.
// cgroup v2 limits swap alone while the spec's swap is memory + swap (runc's ConvertMemorySwapToCgroupV2Value):
//   swap -1 -> "max"; swap unset with limit -1 -> "max"; swap == limit -> "0" (no swap); else swap - limit,
//   refused (before anything is written) without a limit or below it.
// Like runc 1.2, "max" or "0" for a kernel without swap accounting (no memory.swap.max) is no error, and with
// checkBeforeUpdate a limit at or below the current usage is refused instead of OOM-killing the container.
import { errCode } from '../errors.js';
import type { Controller } from '../manager.js';
import { dec, invalid, readU64, type LinuxMemory } from '../resources.js';

/** memory.swap.max's value as a number: -1 is max, 0 unset (or no swap when the spec's swap is positive). */
export function swapV2(m: LinuxMemory): bigint {
  const limit = m.limit ?? 0;
  const swap = m.swap ?? 0;
  if (limit === -1 && swap === 0) return -1n;
  if (swap === -1 || swap === 0) return BigInt(swap);
  if (limit === 0 || limit === -1) throw invalid('memory.swap', 'a swap limit needs a memory limit (linux.resources.memory.limit)');
  if (limit < 0) throw invalid('memory.limit', `${dec(limit)} is not a limit (-1 for none)`);
  if (swap < limit) throw invalid('memory.swap', `${dec(swap)} is below memory.limit ${dec(limit)}; swap is memory + swap`);
  return BigInt(swap) - BigInt(limit);
}

const numToStr = (n: number): string => (n === -1 ? 'max' : dec(n));

export const memory: Controller = {
  name: 'memory',
  check(r) {
    if (r.memory) swapV2(r.memory);
  },
  set(f, r) {
    const m = r.memory;
    if (!m || !(m.limit || m.swap || m.reservation)) return;
    if (m.checkBeforeUpdate && ((m.limit ?? 0) > 0 || (m.swap ?? 0) > 0)) {
      let usage: bigint | undefined;
      try {
        usage = readU64(f.read('memory.limit', 'memory.current'));
      } catch {
        // runc: the check is best-effort, a cgroup that cannot tell its usage is not refused.
      }
      for (const [field, v] of [['memory.swap', m.swap], ['memory.limit', m.limit]] as const) {
        if (usage !== undefined && v !== undefined && v > 0 && BigInt(v) <= usage) {
          throw invalid(field, `${dec(v)} is not above the current usage ${usage} of ${f.dir} (checkBeforeUpdate)`);
        }
      }
    }
    const swap = swapV2(m);
    if (swap !== 0n || (m.swap ?? 0) > 0) {
      try {
        f.write('memory.swap', 'memory.swap.max', swap === -1n ? 'max' : swap.toString());
      } catch (err) {
        // ENOENT here (not ENOCONTROLLER) means the memory controller is there but does not account swap.
        if (!(errCode(err) === 'ENOENT' && (swap === -1n || swap === 0n))) throw err;
      }
    }
    if (m.limit) f.write('memory.limit', 'memory.max', numToStr(m.limit));
    if (m.reservation) f.write('memory.reservation', 'memory.low', numToStr(m.reservation));
  },
};
