// memory statistics. v1 (runc's fs/memory.go): memory.stat as raw, usage/max/failcnt/limit of memory, memory.memsw
// (swap), memory.kmem (kernel) and memory.kmem.tcp. v2 (fs2/memory.go): memory.stat, memory.current, memory.max,
// memory.events "max" as failcnt; swap reported as memory + swap, as v1 does. OOM kills: the oom_kill counter of
// memory.oom_control (v1) or memory.events (v2).
import { keyValues, MAX_U64, omitEmpty, readOpt, u64 } from './util.js';
import type { MemoryEntry, MemoryStats } from './types.js';

function entry(limit: bigint, usage: bigint, max: bigint, failcnt: bigint): MemoryEntry {
  return omitEmpty({ limit, usage, max, failcnt }, ['usage', 'max']);
}

function v1Entry(dir: string | undefined, prefix: string): MemoryEntry {
  const f = (name: string): bigint => u64(readOpt(dir, `${prefix}.${name}`));
  return entry(f('limit_in_bytes'), f('usage_in_bytes'), f('max_usage_in_bytes'), f('failcnt'));
}

function withCache(raw: Record<string, bigint>, cacheKey: string, m: Omit<MemoryStats, 'cache' | 'raw'>): MemoryStats {
  const out: MemoryStats = { ...(raw[cacheKey] ? { cache: raw[cacheKey] } : {}), ...m };
  if (Object.keys(raw).length > 0) out.raw = Object.fromEntries(Object.entries(raw).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return out;
}

export function memoryV1(dir: string | undefined): MemoryStats {
  const raw = keyValues(readOpt(dir, 'memory.stat'));
  return withCache(raw, 'cache', {
    usage: v1Entry(dir, 'memory'),
    swap: v1Entry(dir, 'memory.memsw'),
    kernel: v1Entry(dir, 'memory.kmem'),
    kernelTCP: v1Entry(dir, 'memory.kmem.tcp'),
  });
}

export function memoryV2(dir: string | undefined): MemoryStats {
  const raw = keyValues(readOpt(dir, 'memory.stat'));
  const events = keyValues(readOpt(dir, 'memory.events'));
  const usage = entry(u64(readOpt(dir, 'memory.max')), u64(readOpt(dir, 'memory.current')), u64(readOpt(dir, 'memory.peak')), events.max ?? 0n);
  const swapCurrent = readOpt(dir, 'memory.swap.current');
  let swap = entry(0n, 0n, 0n, 0n);
  if (swapCurrent !== undefined) {
    const swapLimit = u64(readOpt(dir, 'memory.swap.max'));
    const memLimit = usage.limit;
    const limit = swapLimit === MAX_U64 || memLimit === MAX_U64 ? MAX_U64 : swapLimit + memLimit;
    swap = entry(limit, u64(swapCurrent) + (usage.usage ?? 0n), 0n, keyValues(readOpt(dir, 'memory.swap.events')).max ?? 0n);
  }
  return withCache(raw, 'file', { usage, swap, kernel: entry(0n, 0n, 0n, 0n), kernelTCP: entry(0n, 0n, 0n, 0n) });
}

/** The cgroup's count of OOM kills; undefined when the kernel does not report it (or the cgroup is gone). */
export function oomKills(dir: string | undefined, version: 'v1' | 'v2'): bigint | undefined {
  let text: string | undefined;
  try {
    text = readOpt(dir, version === 'v1' ? 'memory.oom_control' : 'memory.events');
  } catch {
    return undefined;
  }
  return keyValues(text).oom_kill;
}
