// `events`: the container's cgroup statistics in runc's stats shape, and the loop that reports them every interval
// together with OOM kills (the oom_kill counter of the memory cgroup, polled every 100 ms) until the container is gone.
import { setTimeout as sleep } from 'node:timers/promises';
import { UNIFIED } from '../cgroups/base.js';
import { blkioV1, blkioV2 } from '../cgroups/stats/blkio.js';
import { cpuset, cpuV1, cpuV2 } from '../cgroups/stats/cpu.js';
import { hugetlbV1, hugetlbV2 } from '../cgroups/stats/hugetlb.js';
import { memoryV1, memoryV2, oomKills } from '../cgroups/stats/memory.js';
import { pidsStats } from '../cgroups/stats/pids.js';
import type { Stats } from '../cgroups/stats/types.js';
import { statsJson } from '../cgroups/stats/util.js';
import { TsrunError } from '../errors.js';
import { type ContainerRecord, isAlive } from '../state/store.js';

/** v2 when the record has only the unified directory (as fromPaths decides). */
export function cgroupVersion(paths: Record<string, string>): 'v1' | 'v2' {
  const names = Object.keys(paths);
  return names.length === 1 && names[0] === UNIFIED ? 'v2' : 'v1';
}

/** Statistics of a container from its recorded cgroup directories. */
export function statsFromPaths(paths: Record<string, string>): Stats {
  const common = { intel_rdt: {}, network_interfaces: null } as const;
  if (cgroupVersion(paths) === 'v2') {
    const dir = paths[UNIFIED];
    return { cpu: cpuV2(dir), cpuset: cpuset(dir, 'v2'), memory: memoryV2(dir), pids: pidsStats(dir), blkio: blkioV2(dir), hugetlb: hugetlbV2(dir), ...common };
  }
  return {
    cpu: cpuV1(paths.cpuacct, paths.cpu),
    cpuset: cpuset(paths.cpuset, 'v1'),
    memory: memoryV1(paths.memory),
    pids: pidsStats(paths.pids),
    blkio: blkioV1(paths.blkio),
    hugetlb: hugetlbV1(paths.hugetlb),
    ...common,
  };
}

/** The memory cgroup's OOM kill count (undefined: not reported or the cgroup is gone). */
export function oomCount(paths: Record<string, string>): bigint | undefined {
  const v = cgroupVersion(paths);
  return oomKills(v === 'v2' ? paths[UNIFIED] : paths.memory, v);
}

export const statsEvent = (id: string, stats: Stats): string => `${statsJson({ type: 'stats', id, data: stats })}\n`;
export const oomEvent = (id: string): string => `${JSON.stringify({ type: 'oom', id })}\n`;

const UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("5s", "500ms", "1m30s", "1.5h") in milliseconds; refuses zero, negative and bare numbers. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let ms = 0;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    ms += Number(m[1]) * (UNITS[m[2] as string] as number);
    pos = re.lastIndex;
  }
  if (text === '' || pos !== text.length) throw new TsrunError('usage', `--interval: invalid duration ${JSON.stringify(text)} (e.g. 5s, 500ms, 1m)`);
  if (!(ms > 0)) throw new TsrunError('usage', `--interval: the duration must be positive, not ${JSON.stringify(text)}`);
  return ms;
}

const POLL_MS = 100;

/**
 * Reports stats every intervalMs and an oom event per OOM kill until the container's init is gone (a kill counted
 * just before the container died is still reported). Statistics that cannot be read are reported through warn.
 */
export async function watchEvents(rec: ContainerRecord, intervalMs: number, emit: (line: string) => void, warn: (message: string) => void): Promise<void> {
  let seen = oomCount(rec.cgroupPaths);
  const checkOom = (): void => {
    const n = oomCount(rec.cgroupPaths);
    if (n === undefined) return;
    if (seen !== undefined) for (let i = seen; i < n; i++) emit(oomEvent(rec.id));
    seen = n;
  };
  let next = Date.now() + intervalMs;
  for (;;) {
    await sleep(Math.max(1, Math.min(POLL_MS, next - Date.now())));
    checkOom();
    if (!isAlive(rec)) {
      checkOom();
      return;
    }
    if (Date.now() >= next) {
      try {
        emit(statsEvent(rec.id, statsFromPaths(rec.cgroupPaths)));
      } catch (err) {
        warn(`events: reading the statistics of ${rec.id}: ${(err as Error).message}`);
      }
      next += intervalMs;
      if (next < Date.now()) next = Date.now() + intervalMs;
    }
  }
}
