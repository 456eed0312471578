// Cgroups for a rootless container, runc 1.1's rule: an unprivileged user can create cgroups only where the host
// delegated them (chowned a directory to the user), so
// - with linux.cgroupsPath given, a cgroup that cannot be created is an error, as for root;
// - without it, each hierarchy whose directory cannot be created (EACCES, EPERM, EROFS) is left out, and the container
//   runs without a cgroup there;
// - a limit that needs a left-out cgroup is a clear error naming the setting and why the cgroup is missing;
// - device rules are never written (they need CAP_SYS_ADMIN on the host); devices are bind-mounted from the host.
import { CgroupError, CGROUP_CODES, errCode, withHint } from '../cgroups/errors.js';
import type { CgroupIo } from '../cgroups/io.js';
import { type CgroupManager, UNIFIED, fromPaths } from '../cgroups/manager.js';
import { type ApplyOptions, type LinuxResources, fieldName } from '../cgroups/resources.js';

const NOT_PERMITTED = new Set(['EACCES', 'EPERM', 'EROFS']);

const defined = (o: object | undefined): boolean => o !== undefined && Object.values(o).some((v) => v !== undefined && v !== null);
const nonEmpty = (o: object | undefined): boolean => o !== undefined && Object.keys(o).length > 0;

/** The settings that write something, each with the cgroup v1 hierarchy it needs (on v2, all need the unified one). */
export function askedControllers(r: LinuxResources): [field: string, controller: string][] {
  const out: [string, string][] = [];
  if (defined(r.memory)) out.push(['memory', 'memory']);
  const { cpus, mems, ...cpu } = r.cpu ?? {};
  if (defined(cpu)) out.push(['cpu', 'cpu']);
  if (cpus !== undefined || mems !== undefined) out.push([cpus !== undefined ? 'cpu.cpus' : 'cpu.mems', 'cpuset']);
  if (r.pids?.limit !== undefined) out.push(['pids.limit', 'pids']);
  if (defined(r.blockIO)) out.push(['blockIO', 'blkio']);
  if ((r.hugepageLimits?.length ?? 0) > 0) out.push(['hugepageLimits', 'hugetlb']);
  if (r.network?.classID !== undefined) out.push(['network.classID', 'net_cls']);
  if ((r.network?.priorities?.length ?? 0) > 0) out.push(['network.priorities', 'net_prio']);
  if (nonEmpty(r.rdma)) out.push(['rdma', 'rdma']);
  if (nonEmpty(r.unified)) out.push(['unified', UNIFIED]);
  return out;
}

/** A container without cgroups: nothing to join, list or remove; any limit is refused by the caller. */
const NONE: CgroupManager = {
  version: 'v1',
  paths: () => ({}),
  createdDirs: () => [],
  create: async () => {},
  apply: () => {},
  join: () => {},
  procsFiles: () => [],
  pids: () => [],
  destroy: async () => {},
};

/** A recorded container's cgroups; a rootless one may have none. */
export function managerFromPaths(paths: Record<string, string>, created: string[] | undefined, io?: CgroupIo): CgroupManager {
  if (Object.keys(paths).length === 0) return NONE;
  return fromPaths(paths, { ...(created ? { created } : {}), ...(io ? { io } : {}) });
}

/** Refuses the settings whose cgroup the container does not have; `why` says for each hierarchy why not. */
export function checkAsked(r: LinuxResources, version: 'v1' | 'v2', have: Record<string, string>, why: (controller: string) => string): void {
  for (const [field, controller] of askedControllers(r)) {
    const key = version === 'v2' ? UNIFIED : controller;
    if (have[key] !== undefined) continue;
    throw new CgroupError(
      CGROUP_CODES.noController,
      `${fieldName(field)}: cannot be set: running rootless, the container has no ${version === 'v2' ? 'cgroup' : `${controller} cgroup`} (${why(key)}); delegate one to uid ${process.geteuid?.() ?? '?'} or leave the limit out`,
    );
  }
}

/** Wraps the manager create would use (`full`) with the rootless rule above. */
export function rootlessManager(full: CgroupManager, opts: { explicitPath: boolean; io?: CgroupIo }): CgroupManager {
  let kept: CgroupManager = full;
  const skipped = new Map<string, string>();
  const notPermitted = (err: unknown): boolean => NOT_PERMITTED.has(errCode(err) ?? '');
  const self: CgroupManager = {
    get version() {
      return full.version;
    },
    paths: () => kept.paths(),
    createdDirs: () => kept.createdDirs(),
    async create() {
      try {
        await full.create();
        return;
      } catch (err) {
        if (!notPermitted(err)) throw err;
        if (opts.explicitPath || !(err instanceof CgroupError)) {
          throw err instanceof CgroupError ? withHint(err, 'running rootless: linux.cgroupsPath must name a cgroup delegated to this user') : err;
        }
        if (full.version === 'v2') {
          for (const name of Object.keys(full.paths())) skipped.set(name, err.message);
          kept = NONE;
          return;
        }
      }
      // v1: hierarchy by hierarchy, keeping those this user may create (delegated ones).
      const byDir = new Map<string, string[]>();
      for (const [name, dir] of Object.entries(full.paths())) byDir.set(dir, [...(byDir.get(dir) ?? []), name]);
      const keep: Record<string, string> = {};
      const made: string[] = [];
      for (const [dir, names] of byDir) {
        const one = fromPaths(Object.fromEntries(names.map((n) => [n, dir])), { created: [], ...(opts.io ? { io: opts.io } : {}) });
        try {
          await one.create();
          for (const n of names) keep[n] = dir;
          made.push(...one.createdDirs());
        } catch (err) {
          if (!notPermitted(err)) {
            await managerFromPaths(keep, made, opts.io).destroy().catch(() => {});
            throw err;
          }
          for (const n of names) skipped.set(n, (err as Error).message);
        }
      }
      kept = managerFromPaths(keep, made, opts.io);
    },
    apply(r: LinuxResources, o: ApplyOptions = {}) {
      checkAsked(r, full.version, kept.paths(), (name) => skipped.get(name) ?? 'not created');
      kept.apply(r, { ...o, skipDevices: true });
    },
    join: (pid) => kept.join(pid),
    procsFiles: () => kept.procsFiles(),
    pids: () => kept.pids(),
    destroy: () => kept.destroy(),
  };
  return self;
}
