// cgroup v2 (unified): one directory. Before a child can use a controller, its parent must list it in
// cgroup.subtree_control; like runc, create() enables in every ancestor, from the hierarchy root down, the controllers
// that ancestor has available (cgroup.controllers) and has not enabled yet. A cgroup with processes of its own cannot
// do that (EBUSY, "no internal processes"), so such failures carry that hint.
// In hybrid mode the cgroup2 mount is handled by the v1 manager and never gets controllers enabled.
// apply() writes the resource files in runc 1.1's fs2 order; device rules become an eBPF program (devices.ts).
import * as path from 'node:path/posix';
import { BaseManager, mkdirOwn } from '../base.js';
import { CgroupError, CGROUP_CODES, withHint } from '../errors.js';
import type { CgroupIo } from '../io.js';
import type { Controller, Placement } from '../manager.js';
import { fieldName, ignoredSettings, ResourceFiles, type ApplyOptions, type LinuxResources } from '../resources.js';
import { cpu } from './cpu.js';
import { cpuset } from './cpuset.js';
import { devices } from './devices.js';
import { hugetlb } from './hugetlb.js';
import { io } from './io.js';
import { memory } from './memory.js';
import { pids } from './pids.js';
import { rdma } from './rdma.js';
import { unified } from './unified.js';

/** runc 1.1 fs2 Set's order; unified last, so its values win. */
const APPLY_ORDER: readonly Controller[] = [pids, memory, io, cpu, devices, cpuset, hugetlb, rdma, unified];

const ENABLE_HINTS: Readonly<Record<string, string>> = {
  EBUSY: 'the cgroup has processes of its own, and cgroup v2 lets only cgroups without processes enable controllers for their children',
  ENOENT: 'the controller is not available in this cgroup (its parent does not enable it)',
  EOPNOTSUPP: 'a threaded cgroup can enable only threaded controllers',
  ENOTSUP: 'a threaded cgroup can enable only threaded controllers',
};

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');

/** Enables in dir's cgroup.subtree_control every controller dir has available and has not enabled. */
export function enableControllers(dir: string, io: CgroupIo): void {
  const available = words(io.read(path.join(dir, 'cgroup.controllers')));
  const enabled = new Set(words(io.read(path.join(dir, 'cgroup.subtree_control'))));
  const missing = available.filter((c) => !enabled.has(c));
  if (missing.length === 0) return;
  const file = path.join(dir, 'cgroup.subtree_control');
  const hinted = (err: unknown, ctl?: string): unknown => {
    if (!(err instanceof CgroupError)) return err;
    const hint = ENABLE_HINTS[err.code];
    const which = ctl === undefined ? '' : `enabling ${ctl}`;
    return hint === undefined && which === '' ? err : withHint(err, [which, hint].filter(Boolean).join(': '));
  };
  try {
    io.write(file, missing.map((c) => `+${c}`).join(' '));
  } catch (err) {
    // The kernel rejects the whole line for one bad controller: find which, so the error can name it.
    for (const c of missing) {
      try {
        io.write(file, `+${c}`);
      } catch (one) {
        throw hinted(one, c);
      }
    }
    throw hinted(err);
  }
}

/** The hierarchy root above dir: the topmost existing ancestor that is still a cgroup2 directory. */
function findRoot(dir: string, io: CgroupIo): string {
  let root = path.dirname(dir);
  while (root !== '/' && !io.exists(root)) root = path.dirname(root);
  for (let up = path.dirname(root); up !== '/' && io.exists(path.join(up, 'cgroup.controllers')); up = path.dirname(up)) root = up;
  return root;
}

export class V2Manager extends BaseManager {
  readonly version = 'v2' as const;

  protected createIn(p: Placement, made: string[]): void {
    const root = p.root ?? findRoot(p.dir, this.io);
    if (!p.dir.startsWith(`${root}/`)) {
      throw new CgroupError(CGROUP_CODES.invalidPath, `cgroup: ${p.dir} is not below the cgroup2 hierarchy mounted at ${root}`, { path: p.dir });
    }
    const chain = [root];
    for (const seg of p.dir.slice(root.length + 1).split('/')) chain.push(path.join(chain[chain.length - 1] ?? root, seg));
    for (const [i, dir] of chain.entries()) {
      if (i > 0 && !this.io.exists(dir) && mkdirOwn(dir, this.io)) made.push(dir);
      if (dir !== p.dir) enableControllers(dir, this.io);
    }
  }

  protected pidsDir(): string {
    const p = this.placements[0];
    if (!p) throw new CgroupError(CGROUP_CODES.badState, 'cgroup: v2 manager without a directory');
    return p.dir;
  }

  apply(r: LinuxResources, opts: ApplyOptions = {}): void {
    for (const c of APPLY_ORDER) c.check?.(r);
    const warn = opts.warn ?? ((): void => {});
    for (const w of ignoredSettings(r, 'v2')) warn(w);
    const dir = this.pidsDir();
    const explainMissing = (field: string, file: string): CgroupError | undefined => controllerMissing(dir, field, file, this.io);
    for (const c of APPLY_ORDER) {
      // rootless: attaching a device program needs privileges the runtime lacks (runc skips it too)
      if (c === devices && opts.skipDevices) continue;
      c.set?.(new ResourceFiles(c.name, dir, this.io, { warn, explainMissing }), r);
    }
  }
}

/** A file that cannot be written because its controller (the name before the first dot) is not enabled for dir. */
function controllerMissing(dir: string, field: string, file: string, io: CgroupIo): CgroupError | undefined {
  const controller = file.split('.')[0] ?? '';
  if (controller === 'cgroup' || !file.includes('.')) return undefined;
  let available: string[];
  try {
    available = words(io.read(path.join(dir, 'cgroup.controllers')));
  } catch {
    return undefined;
  }
  if (available.includes(controller)) return undefined;
  return new CgroupError(CGROUP_CODES.noController, `${fieldName(field)}: controller "${controller}" is not available in ${dir}`, { path: path.join(dir, file) });
}
