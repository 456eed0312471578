// cpu statistics. v1 (runc's cpuacct + cpu): cpuacct.usage, cpuacct.usage_percpu, cpuacct.usage_all (per-cpu
// system/user), cpuacct.stat (USER_HZ ticks, as ns) and cpu.stat throttling. v2: cpu.stat in microseconds, as ns.
import { keyValues, omitEmpty, readOpt, u64 } from './util.js';
import type { CpuStats, CpusetStats, Throttling } from './types.js';
import { parseList } from './util.js';

/** USER_HZ: cpuacct.stat counts in these ticks (100 on every Linux architecture runc supports). */
const CLOCK_TICKS = 100n;
const NS_PER_S = 1_000_000_000n;

const nums = (text: string | undefined): bigint[] => (text ?? '').trim().split(/\s+/).filter(Boolean).map((s) => u64(s));

function throttling(kv: Record<string, bigint>, timeScale: bigint, timeKey: string): Throttling {
  return omitEmpty({ periods: kv.nr_periods ?? 0n, throttledPeriods: kv.nr_throttled ?? 0n, throttledTime: (kv[timeKey] ?? 0n) * timeScale }, ['periods', 'throttledPeriods', 'throttledTime']);
}

export function cpuV1(cpuacctDir: string | undefined, cpuDir: string | undefined): CpuStats {
  const stat = keyValues(readOpt(cpuacctDir, 'cpuacct.stat'));
  const percpuKernel: bigint[] = [];
  const percpuUser: bigint[] = [];
  // cpuacct.usage_all: "cpu user system" header, then one line per cpu.
  for (const line of (readOpt(cpuacctDir, 'cpuacct.usage_all') ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue;
    percpuUser.push(u64(f[1]));
    percpuKernel.push(u64(f[2]));
  }
  const usage = omitEmpty(
    {
      total: u64(readOpt(cpuacctDir, 'cpuacct.usage')),
      percpu: nums(readOpt(cpuacctDir, 'cpuacct.usage_percpu')),
      percpu_kernel: percpuKernel,
      percpu_user: percpuUser,
      kernel: ((stat.system ?? 0n) * NS_PER_S) / CLOCK_TICKS,
      user: ((stat.user ?? 0n) * NS_PER_S) / CLOCK_TICKS,
    },
    ['total', 'percpu', 'percpu_kernel', 'percpu_user'],
  );
  return { usage, throttling: throttling(keyValues(readOpt(cpuDir, 'cpu.stat')), 1n, 'throttled_time') };
}

export function cpuV2(dir: string | undefined): CpuStats {
  const kv = keyValues(readOpt(dir, 'cpu.stat'));
  const usage = omitEmpty({ total: (kv.usage_usec ?? 0n) * 1000n, kernel: (kv.system_usec ?? 0n) * 1000n, user: (kv.user_usec ?? 0n) * 1000n }, ['total']);
  return { usage, throttling: throttling(kv, 1000n, 'throttled_usec') };
}

const CPUSET_FLAGS = ['cpu_exclusive', 'mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page', 'memory_spread_slab', 'memory_pressure', 'sched_load_balance', 'sched_relax_domain_level'] as const;

/** cpuset (v1: cpuset.cpus, cpuset.mems and the flag files; v2: the effective lists, flags 0). */
export function cpuset(dir: string | undefined, version: 'v1' | 'v2'): CpusetStats {
  const cpus = parseList(readOpt(dir, version === 'v1' ? 'cpuset.cpus' : 'cpuset.cpus.effective'));
  const mems = parseList(readOpt(dir, version === 'v1' ? 'cpuset.mems' : 'cpuset.mems.effective'));
  const flag = (name: string): bigint => {
    if (version === 'v2') return 0n;
    const t = readOpt(dir, `cpuset.${name}`)?.trim();
    try {
      return t ? BigInt(t) : 0n;
    } catch {
      return 0n;
    }
  };
  const out = { cpus, mems } as Record<string, unknown>;
  const ordered: Record<string, unknown> = { cpus: out.cpus };
  for (const f of CPUSET_FLAGS) {
    if (f === 'mem_hardwall') ordered.mems = out.mems;
    ordered[f] = flag(f);
  }
  return omitEmpty(ordered, ['cpus', 'mems']) as unknown as CpusetStats;
}
