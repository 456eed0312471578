// The only file under cgroups/ that looks at the host: which cgroup hierarchies are mounted where, and which cgroup
// this process is in. Everything else takes the resulting CgroupHost (plain data) and works on given directories.
//
// Modes (runc's rule): cgroup2 mounted at /sys/fs/cgroup is 'v2' (unified). Otherwise any v1 hierarchy makes it
// 'v1', "legacy" without a cgroup2 mount, "hybrid" with one (e.g. /sys/fs/cgroup/unified, joined for its core files).
import * as fs from 'node:fs';
import { CgroupError, CGROUP_CODES, fsError } from './errors.js';

/** One mounted hierarchy. `root` is the mount's root inside the hierarchy (not "/" in nested containers). */
export interface CgroupMount {
  mountPoint: string;
  root: string;
  /** v1 controllers or names attached, e.g. ['cpu', 'cpuacct'] or ['name=systemd']; [] for cgroup2. */
  controllers: string[];
}

export interface CgroupHostV1 {
  mode: 'v1';
  /** v1 hierarchy name -> mount point; a combined mount appears under each name (cpu and cpuacct). */
  hierarchies: Record<string, string>;
  mounts: CgroupMount[];
  /** The cgroup2 mount in hybrid mode, else null (legacy). */
  unified: CgroupMount | null;
  /** /proc/self/cgroup: hierarchy name -> this process's cgroup; '' is the cgroup2 ("0::") entry. */
  own: Record<string, string>;
  systemd: boolean;
}

export interface CgroupHostV2 {
  mode: 'v2';
  unified: CgroupMount;
  own: Record<string, string>;
  systemd: boolean;
}

export type CgroupHost = CgroupHostV1 | CgroupHostV2;

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** v1 controllers the kernel knows; mount options that are neither these nor `name=...` are plain options. */
export const V1_CONTROLLERS = [
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event', 'net_prio',
  'hugetlb', 'pids', 'rdma', 'misc', 'debug',
] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

interface MountinfoEntry {
  root: string;
  mountPoint: string;
  fstype: string;
  superOptions: string[];
}

const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

export function parseMountinfo(text: string): MountinfoEntry[] {
  const out: MountinfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    const root = fields[3];
    const mountPoint = fields[4];
    const fstype = fields[sep + 1];
    if (sep < 0 || root === undefined || mountPoint === undefined || fstype === undefined) {
      throw new CgroupError(CGROUP_CODES.noCgroupfs, `cgroup: cannot parse mountinfo line ${JSON.stringify(line)}`);
    }
    out.push({ root: unescape(root), mountPoint: unescape(mountPoint), fstype, superOptions: (fields[sep + 3] ?? '').split(',') });
  }
  return out;
}

/** /proc/<pid>/cgroup -> { controller or name=...: path }, with '' for the cgroup2 entry ("0::/path"). */
export function parseProcCgroup(text: string): Record<string, string> {
  const own: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) throw new CgroupError(CGROUP_CODES.noCgroupfs, `cgroup: cannot parse /proc/self/cgroup line ${JSON.stringify(line)}`);
    const path = line.slice(second + 1);
    for (const name of line.slice(first + 1, second).split(',')) own[name] = path;
  }
  return own;
}

/** Pure: describe a host from the text of /proc/self/mountinfo and /proc/self/cgroup. */
export function describeHost(mountinfo: string, procCgroup: string, opts: { systemd?: boolean } = {}): CgroupHost {
  const own = parseProcCgroup(procCgroup);
  const systemd = opts.systemd ?? false;
  const isController = (opt: string): boolean =>
    opt.startsWith('name=') || (V1_CONTROLLERS as readonly string[]).includes(opt) || (opt !== '' && Object.hasOwn(own, opt));

  // A later mount on the same mount point hides the earlier one.
  const visible = new Map<string, MountinfoEntry>();
  for (const e of parseMountinfo(mountinfo)) {
    if (e.fstype === 'cgroup' || e.fstype === 'cgroup2') {
      visible.delete(e.mountPoint);
      visible.set(e.mountPoint, e);
    } else if (visible.has(e.mountPoint)) {
      visible.delete(e.mountPoint);
    }
  }
  const entries = [...visible.values()];

  const v2 = entries.filter((e) => e.fstype === 'cgroup2').map((e): CgroupMount => ({ mountPoint: e.mountPoint, root: e.root, controllers: [] }));
  const atDefault = v2.find((m) => m.mountPoint === DEFAULT_CGROUP_ROOT);
  if (atDefault) return { mode: 'v2', unified: atDefault, own, systemd };

  const hierarchies: Record<string, string> = {};
  const mounts: CgroupMount[] = [];
  for (const e of entries) {
    if (e.fstype !== 'cgroup') continue;
    // The same hierarchy may be mounted twice (bind mounts): the first mount of a name wins.
    const controllers = e.superOptions.filter((o) => isController(o) && !Object.hasOwn(hierarchies, o));
    if (controllers.length === 0) continue;
    for (const c of controllers) hierarchies[c] = e.mountPoint;
    mounts.push({ mountPoint: e.mountPoint, root: e.root, controllers });
  }
  if (mounts.length > 0) {
    const unified = v2.find((m) => m.mountPoint.startsWith(`${DEFAULT_CGROUP_ROOT}/`)) ?? v2[0] ?? null;
    return { mode: 'v1', hierarchies, mounts, unified, own, systemd };
  }
  const anyV2 = v2[0];
  if (anyV2) return { mode: 'v2', unified: anyV2, own, systemd };
  throw new CgroupError(CGROUP_CODES.noCgroupfs, 'cgroup: no cgroup or cgroup2 filesystem is mounted (see /proc/self/mountinfo)');
}

export interface DetectSources {
  mountinfo?: string;
  cgroup?: string;
  systemdDir?: string;
}

/** Describes this host's cgroup layout. Paths are injectable so tests can point at sample files. */
export function detect(src: DetectSources = {}): CgroupHost {
  const read = (path: string): string => {
    try {
      return fs.readFileSync(path, 'utf8');
    } catch (err) {
      throw fsError('read', path, err);
    }
  };
  return describeHost(read(src.mountinfo ?? '/proc/self/mountinfo'), read(src.cgroup ?? '/proc/self/cgroup'), {
    systemd: systemdAvailable(src.systemdDir),
  });
}

/** sd_booted(): systemd is the running init when /run/systemd/system exists. */
export function systemdAvailable(dir = '/run/systemd/system'): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
