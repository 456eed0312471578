// cgroup v1 (legacy and hybrid): the container gets a directory in every mounted hierarchy, named ones and the
// cgroup2 mount of hybrid mode included. Controllers that must prepare a new directory register in CONTROLLERS;
// apply() runs the resource controllers in runc's subsystem order, each on its hierarchy's directory. A controller the
// host has not mounted (no hugetlb, net_cls, net_prio or rdma hierarchy here) fails only when a setting asks it for
// something, as runc does.
import type { V1Controller } from '../detect.js';
import type { Controller, Placement } from '../manager.js';
import { BaseManager, missingLevels, mkdirOwn, UNIFIED } from '../base.js';
import { CgroupError, CGROUP_CODES } from '../errors.js';
import { ignoredSettings, invalid, ResourceFiles, type ApplyOptions, type LinuxResources } from '../resources.js';
import { blkio } from './blkio.js';
import { cpu } from './cpu.js';
import { cpuset } from './cpuset.js';
import { devices } from './devices.js';
import { hugetlb } from './hugetlb.js';
import { memory } from './memory.js';
import { netCls } from './net_cls.js';
import { netPrio } from './net_prio.js';
import { pids } from './pids.js';
import { rdma } from './rdma.js';

const CONTROLLERS: Partial<Record<V1Controller, Controller>> = { cpuset };

/** runc 1.1's fs subsystems order (cpuacct, perf_event, freezer and name=systemd set nothing). */
const APPLY_ORDER: readonly Controller[] = [cpuset, devices, memory, cpu, pids, blkio, hugetlb, netCls, netPrio, rdma];

/** Why a file a setting needs can be missing on a v1 host: a kernel feature that is off. */
const MISSING_HINTS: readonly [RegExp, string][] = [
  [/^memory\.memsw\./, 'the kernel does not account swap (boot it with swapaccount=1)'],
  [/^cpu\.rt_/, 'the kernel has no realtime group scheduling (CONFIG_RT_GROUP_SCHED)'],
  [/^cpu\.idle$/, 'the kernel has no cpu.idle (Linux 5.15 or later)'],
  [/^blkio\.(bfq\.)?weight|^blkio\.leaf_weight/, 'the block I/O scheduler has no weights (CFQ or BFQ)'],
];
const missingHint = (file: string): string | undefined => MISSING_HINTS.find(([re]) => re.test(file))?.[1];

/** Where pids() looks, best first: freezer and pids see every task; the unified hierarchy does in hybrid mode. */
const PIDS_SOURCES = ['freezer', 'pids', UNIFIED] as const;

export class V1Manager extends BaseManager {
  readonly version = 'v1' as const;

  protected createIn(p: Placement, made: string[]): void {
    const controllers = p.names.flatMap((n) => CONTROLLERS[n as V1Controller] ?? []);
    for (const dir of missingLevels(p.dir, p.root, this.io)) {
      if (!mkdirOwn(dir, this.io)) continue;
      made.push(dir);
      for (const c of controllers) c.initDir?.(dir, this.io);
    }
  }

  protected pidsDir(): string {
    for (const name of PIDS_SOURCES) {
      const p = this.placements.find((q) => q.names.includes(name));
      if (p) return p.dir;
    }
    const first = this.placements[0];
    if (!first) throw new CgroupError(CGROUP_CODES.badState, 'cgroup: v1 manager without directories');
    return first.dir;
  }

  apply(r: LinuxResources, opts: ApplyOptions = {}): void {
    // runc refuses unified on v1, hybrid included (its cgroup2 mount has no controllers for containers).
    const unified = Object.keys(r.unified ?? {});
    if (unified.length > 0) throw invalid(`unified[${JSON.stringify(unified[0])}]`, 'cgroup v2 files cannot be set on a cgroup v1 host');
    for (const c of APPLY_ORDER) c.check?.(r);
    const warn = opts.warn ?? ((): void => {});
    for (const w of ignoredSettings(r, 'v1')) warn(w);
    for (const c of APPLY_ORDER) {
      if (c === devices && opts.skipDevices) continue;
      const dir = this.placements.find((p) => p.names.includes(c.name))?.dir;
      c.set?.(new ResourceFiles(c.name, dir, this.io, { warn, missingHint }), r);
    }
  }
}
