// cgroup v1 (legacy and hybrid): the container gets a directory in every mounted hierarchy, named ones and the
// cgroup2 mount of hybrid mode included. Controllers that must prepare a new directory register in CONTROLLERS.
import type { V1Controller } from '../detect.js';
import type { Controller, Placement } from '../manager.js';
import { BaseManager, missingLevels, mkdirOwn, UNIFIED } from '../base.js';
import { CgroupError, CGROUP_CODES } from '../errors.js';
import { cpuset } from './cpuset.js';

const CONTROLLERS: Partial<Record<V1Controller, Controller>> = { cpuset };

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
}
